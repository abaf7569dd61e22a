import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { ERR } from '../errors.ts';
import { appendEvents, type AuditEntry } from './log.ts';

// [Note: grouped appends]
// Events that commit on their own (reads, refusals, downloads: [Note: reads are logged
// before they are served]) go through one queue per server process. While one append
// statement is in flight, the events that arrive wait; when it commits, all of them go
// together in the next statement: one round trip, one turn of the log's lock and one
// flushed commit for the group, which is what an append under the lock costs
// (docs/PERFORMANCE.md, "Audit log"). A caller alone finds the queue idle and is sent at
// once. Every caller still waits for the commit that holds its own event, and if that
// statement fails, every caller in its group gets the error: nothing is served without
// its event. Appends inside a write's transaction cannot be grouped and do not come here.

/** Most events per statement: bounds the statement's size and the time a group holds the lock. */
const MAX_GROUP = 256;

/**
 * Bounds for a database that stops answering: a caller waits at most `maxWaitMs` for its
 * event to commit, and at most `maxQueued` events wait; past either, 503 VAULT_ERR_NOT_READY
 * (nothing was served). An event that commits after its caller gave up only says more than
 * happened, never less.
 */
export interface GroupLimits {
  maxWaitMs: number;
  maxQueued: number;
}
const DEFAULT_LIMITS: GroupLimits = { maxWaitMs: 30_000, maxQueued: 10_000 };

interface Waiting {
  entries: readonly AuditEntry[];
  resolve(indices: number[]): void;
  reject(err: unknown): void;
}

export function groupedAppender(db: Kysely<Database>, limits: GroupLimits = DEFAULT_LIMITS): (entries: readonly AuditEntry[]) => Promise<number[]> {
  let queue: Waiting[] = [];
  let queued = 0;
  let busy = false;

  async function drain(): Promise<void> {
    busy = true;
    while (queue.length > 0) {
      // Whole callers only, so that a listing's events stay in one statement.
      let count = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || count + queue[take]!.entries.length <= MAX_GROUP)) count += queue[take++]!.entries.length;
      const group = queue.slice(0, take);
      queue = queue.slice(take);
      queued -= count;
      try {
        const indices = await appendEvents(db, group.flatMap((w) => w.entries));
        let at = 0;
        for (const w of group) {
          w.resolve(indices.slice(at, at + w.entries.length));
          at += w.entries.length;
        }
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    busy = false;
  }

  return (entries) => {
    if (entries.length === 0) return Promise.resolve([]);
    if (queued + entries.length > limits.maxQueued) return Promise.reject(new ERR.NOT_READY());
    queued += entries.length;
    const done = new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ERR.NOT_READY()), limits.maxWaitMs);
      const settle = <A>(fn: (a: A) => void) => (a: A) => {
        clearTimeout(timer);
        fn(a);
      };
      queue.push({ entries, resolve: settle(resolve), reject: settle(reject) });
    });
    if (!busy) void drain();
    return done;
  };
}
