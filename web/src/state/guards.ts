// Lock after an idle time the person chooses, and the quick exit for when a raid or a
// search begins. Both are wired once, in main.tsx.
import type { Store } from './store.ts';
import { revokeAll } from './object-urls.ts';

/** Where the quick exit goes: an ordinary page, replacing this one in the tab's history. */
export const QUICK_EXIT_URL = 'https://www.google.com/search?q=clima';

const ACTIVITY = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'input'] as const;

export function watchIdle(store: Store): () => void {
  let last = Date.now();
  const touch = () => {
    last = Date.now();
  };
  for (const e of ACTIVITY) window.addEventListener(e, touch, { passive: true, capture: true });
  const timer = setInterval(() => {
    if (!store.unlocked.value) return touch();
    // A file being sent counts as activity: locking would end the upload half-way.
    if (store.uploads.busy()) return touch();
    if (Date.now() - last >= store.idleMinutes.value * 60_000) void store.lock('idle');
  }, 5_000);
  return () => {
    clearInterval(timer);
    for (const e of ACTIVITY) window.removeEventListener(e, touch, { capture: true });
  };
}

/** Shift+Escape, anywhere. */
export function isQuickExitKey(e: KeyboardEvent): boolean {
  return e.key === 'Escape' && e.shiftKey;
}

export function quickExit(store: Store): void {
  store.client.destroy();
  store.uploads.clear();
  revokeAll();
  store.drafts.value = {};
  store.account.value = null;
  document.body.replaceChildren();
  document.title = '';
  location.replace(QUICK_EXIT_URL);
}

export function watchQuickExit(store: Store): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (isQuickExitKey(e)) {
      e.preventDefault();
      quickExit(store);
    }
  };
  window.addEventListener('keydown', onKey, { capture: true });
  return () => window.removeEventListener('keydown', onKey, { capture: true });
}
