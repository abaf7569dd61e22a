// Lock after an idle time the person chooses, and the quick exit for when a raid or a
// search begins. Both are wired once, in main.tsx.
import type { Store } from './store.ts';
import { revokeAll } from './object-urls.ts';

/** Where the quick exit goes: an ordinary page, replacing this one in the tab's history. */
export const QUICK_EXIT_URL = 'https://www.google.com/search?q=clima';

const ACTIVITY = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'input'] as const;

/** How much longer than the idle time a moving upload may keep an untouched vault open. */
export const UPLOAD_GRACE_MS = 60 * 60_000;

export function watchIdle(store: Store): () => void {
  let last = Date.now();
  const touch = () => {
    last = Date.now();
  };
  for (const e of ACTIVITY) window.addEventListener(e, touch, { passive: true, capture: true });
  const timer = setInterval(() => {
    if (!store.unlocked.value) return touch();
    // A part of a file committed counts as activity, so a file that is moving is not cut
    // half-way; but never for more than UPLOAD_GRACE_MS without a person touching anything.
    const idle = Date.now() - last;
    const sinceUpload = performance.now() - store.uploads.lastProgress();
    const limit = store.idleMinutes.value * 60_000;
    if (idle >= limit && (sinceUpload >= limit || idle >= limit + UPLOAD_GRACE_MS)) void store.lock('idle');
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

/** Destroys the worker with its keys and forgets everything decrypted, emptying the page: no waiting, nothing sent. */
function forgetAtOnce(store: Store): void {
  store.client.destroy();
  store.uploads.clear();
  revokeAll();
  store.drafts.value = {};
  store.account.value = null;
  document.body.replaceChildren();
  document.title = '';
}

export function quickExit(store: Store): void {
  forgetAtOnce(store);
  location.replace(QUICK_EXIT_URL);
}

// [Note: leaving the page forgets it]
// A page the person navigates away from (a link, an address typed in the same tab) is kept
// whole by the back/forward cache, worker and keys included, and Back brought the vault
// back unlocked with the testimony on screen (the attacker review, with the cache on as in
// any real Chromium). So leaving the page does what the quick exit does, at once; a page
// the cache brings back anyway is loaded afresh, to the login screen.
export function watchPageLeave(store: Store): () => void {
  const onHide = () => forgetAtOnce(store);
  const onShow = (e: PageTransitionEvent) => e.persisted && location.reload();
  window.addEventListener('pagehide', onHide);
  window.addEventListener('pageshow', onShow);
  return () => {
    window.removeEventListener('pagehide', onHide);
    window.removeEventListener('pageshow', onShow);
  };
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
