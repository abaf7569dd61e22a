import type { Kysely } from 'kysely';
import { Vault, type KdfLimits } from '@testimony-vault/client';
import type { Database } from '../../server/src/db/schema.ts';

// [Note: write load]
// The load the fault experiments run while they take the database away (test/faults-db.test.ts,
// scripts/reliability/faults.ts): each account writes versions of its own record in a loop,
// another device of it reads that record and lists records, and a probe asks /ready every
// 100 ms. Every exchange is noted with its time, status and code, and every POST …/versions
// with the version it tried to write, so afterwards the database can be held to what was
// acknowledged. Readers are separate devices: one Vault instance that reads while it writes
// can have a read answered before its own write, and take it for a rollback.

/** One HTTP exchange as a client saw it. */
export interface Exchange {
  start: number;
  ms: number;
  status: number | 'network';
  code: string | undefined;
  /** The record and version a POST …/versions tried to write. */
  write?: { recordId: string; version: number };
}

export interface Probe {
  at: number;
  ms: number;
  status: number | 'network';
  code: string | undefined;
}

export interface Load {
  exchanges: Exchange[];
  ready: Probe[];
  /** Versions each writer saw acknowledged, by record id (version 1 is the creation). */
  acked: Map<string, number[]>;
  /** Errors the clients threw. */
  failures: unknown[];
  records: { id: string; writer: Vault }[];
  ackedCount(): number;
  stop(): Promise<void>;
}

export interface LoadOptions {
  server: string;
  writers: number;
  handle: (prefix: string) => string;
  /** Argon2id cost for the accounts made here (and the client floor), e.g. the tests' minimum. */
  kdf: KdfLimits;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fetch that notes every exchange in `log`. */
export function timedFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const u = new URL(String(input));
    const entry: Exchange = { start: Date.now(), ms: 0, status: 'network', code: undefined };
    const recordId = /^\/v1\/records\/([0-9a-f-]{36})\/versions$/.exec(u.pathname)?.[1];
    if (init?.method === 'POST' && recordId && typeof init.body === 'string') {
      entry.write = { recordId, version: (JSON.parse(init.body) as { version: number }).version };
    }
    log.push(entry);
    try {
      const res = await fetch(input, init);
      entry.status = res.status;
      if (!res.ok) entry.code = ((await res.clone().json().catch(() => ({}))) as { code?: string }).code;
      return res;
    } finally {
      entry.ms = Date.now() - entry.start;
    }
  };
}

export async function startLoad(options: LoadOptions): Promise<Load> {
  const { server, kdf } = options;
  const exchanges: Exchange[] = [];
  const ready: Probe[] = [];
  const failures: unknown[] = [];
  const client = { server, passphrase: 'load', fetch: timedFetch(exchanges), kdf, kdfFloor: kdf };
  const writers = await Promise.all(
    Array.from({ length: options.writers }, async () => (await Vault.register({ ...client, handle: options.handle('load') })).vault),
  );
  const readers = await Promise.all(writers.map((w) => Vault.login({ ...client, handle: w.handle })));
  const records = await Promise.all(writers.map(async (writer) => ({ id: (await writer.createRecord({ title: 'under load', narrative: 'v1' })).id, writer })));
  const acked = new Map<string, number[]>(records.map((r) => [r.id, [1]]));
  let stopped = false;

  const forever = async (step: () => Promise<void>) => {
    while (!stopped) {
      try {
        await step();
      } catch (err) {
        failures.push(err);
        await pause(50);
      }
    }
  };
  const probe = async () => {
    while (!stopped) {
      const at = Date.now();
      try {
        const res = await fetch(`${server}/ready`);
        ready.push({ at, ms: Date.now() - at, status: res.status, code: ((await res.json()) as { code?: string }).code });
      } catch {
        ready.push({ at, ms: Date.now() - at, status: 'network', code: undefined });
      }
      await pause(100);
    }
  };
  const running = [
    ...records.map(({ id, writer }) =>
      forever(async () => {
        acked.get(id)!.push((await writer.updateRecord(id, { narrative: `written at ${Date.now()}` })).version);
      }),
    ),
    ...records.map(({ id }, i) =>
      forever(async () => {
        await readers[i]!.getRecord(id);
        await readers[i]!.listRecords({ limit: 10 });
      }),
    ),
    probe(),
  ];
  return {
    exchanges,
    ready,
    acked,
    failures,
    records,
    ackedCount: () => [...acked.values()].reduce((n, v) => n + v.length, 0),
    stop: async () => {
      stopped = true;
      await Promise.all(running);
    },
  };
}

export interface StoredCheck {
  /** Acknowledged versions the database does not hold (must be none). */
  lost: { recordId: string; version: number }[];
  /** Stored versions no request tried to write (must be none). */
  stray: { recordId: string; version: number }[];
  /** Records whose versions do not run 1…current (must be none). */
  gaps: string[];
  /** Versions committed whose request failed (allowed: the commit landed, the answer did not). */
  unacknowledged: number;
}

/** Holds the database to what the load saw: acknowledged ⊆ stored ⊆ acknowledged ∪ attempted. */
export async function checkStored(db: Kysely<Database>, load: Load): Promise<StoredCheck> {
  const out: StoredCheck = { lost: [], stray: [], gaps: [], unacknowledged: 0 };
  for (const { id } of load.records) {
    const stored = (await db.selectFrom('record_versions').select('version').where('record_id', '=', id).orderBy('version').execute()).map((r) => r.version);
    const head = await db.selectFrom('records').select('current_version').where('id', '=', id).executeTakeFirstOrThrow();
    if (head.current_version !== stored.length || stored.some((v, i) => v !== i + 1)) out.gaps.push(id);
    const acked = load.acked.get(id)!;
    const attempted = new Set(load.exchanges.flatMap((e) => (e.write?.recordId === id ? [e.write.version] : [])));
    for (const v of acked) if (!stored.includes(v)) out.lost.push({ recordId: id, version: v });
    for (const v of stored) {
      if (acked.includes(v)) continue;
      if (attempted.has(v)) out.unacknowledged += 1;
      else out.stray.push({ recordId: id, version: v });
    }
  }
  return out;
}
