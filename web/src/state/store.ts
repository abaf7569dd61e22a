// The page's state, in signals, made once per page by createStore and handed down through
// context. It holds what the screens show (decrypted text included, in memory only) and
// never a key: those are in the worker behind `client`.
import { signal, computed } from '@preact/signals';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { VaultClient } from '../vault-client.ts';
import type { AccountView, RecordDraft } from '../worker/types.ts';
import type { Route } from './routes.ts';
import { createUploads } from './uploads.ts';
import { revokeAll } from './object-urls.ts';

export type LockReason = 'manual' | 'idle' | 'logout';

export function emptyDraft(language: string): RecordDraft {
  return { title: '', narrative: '', occurredAt: '', place: '', language, tags: [] };
}

export function createStore(client: VaultClient) {
  const route = signal<Route>({ name: 'login' });
  const account = signal<AccountView | null>(null);
  const lockedBecause = signal<LockReason | null>(null);
  /** The last handle used, to fill the login form after a lock (a handle opens nothing). */
  const lastHandle = signal('');
  const idleMinutes = signal(10);
  /** Unsaved edits by record id ('new' for a record not yet saved): never lost on a failed save. */
  const drafts = signal<Record<string, RecordDraft>>({});
  /** The drafts someone typed in (not only opened), and how many of them the last lock threw away. */
  const typed = new Set<string>();
  const draftsDiscarded = signal(0);
  const uploads = createUploads(client);

  const store = {
    client,
    route,
    account,
    lockedBecause,
    lastHandle,
    idleMinutes,
    drafts,
    draftsDiscarded,
    uploads,
    unlocked: computed(() => account.value !== null),
    go(next: Route) {
      route.value = next;
      // Screen readers and keyboards start at the new screen's heading.
      queueMicrotask(() => document.querySelector<HTMLElement>('main h1')?.focus());
    },
    unlock(view: AccountView, next: Route = { name: 'records' }) {
      account.value = view;
      lastHandle.value = view.handle;
      lockedBecause.value = null;
      draftsDiscarded.value = 0;
      store.go(next);
    },
    /** `byTyping`: the change came from the person, so losing it is worth saying. */
    setDraft(key: string, draft: RecordDraft | undefined, byTyping = false) {
      const all = { ...drafts.value };
      if (draft) all[key] = draft;
      else delete all[key];
      if (!draft) typed.delete(key);
      else if (byTyping) typed.add(key);
      drafts.value = all;
    },
    /** Ends the session, terminates the worker and forgets everything decrypted. */
    async lock(reason: LockReason) {
      uploads.clear();
      revokeAll();
      // Drafts are testimony in plain text: they go with the keys, and the login screen says so.
      draftsDiscarded.value = Object.keys(drafts.value).filter((k) => typed.has(k)).length;
      typed.clear();
      drafts.value = {};
      account.value = null;
      lockedBecause.value = reason;
      store.go({ name: 'login' });
      await client.lock();
    },
  };
  return store;
}

export type Store = ReturnType<typeof createStore>;

export const StoreContext = createContext<Store | null>(null);

export function useStore(): Store {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside StoreContext');
  return store;
}
