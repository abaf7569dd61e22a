import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { groupedAppender } from '../server/src/audit/grouped.ts';
import { appendEvents, treeSize } from '../server/src/audit/log.ts';
import { kyselyFor } from '../server/src/db/connect.ts';
import { toVaultError } from '../server/src/plugins/errors.ts';
import type { FastifyError } from 'fastify';
import { decodeAuditEvent } from '@testimony-vault/protocol';
import { testDatabase } from './helper.ts';

// [Note: grouped appends]: events that arrive together share a statement, and every caller
// still gets the index of its own event, or the error of the statement that held it.

const database = await testDatabase(t);
const { db } = database;


t.test('concurrent callers share statements and each gets the index of its own event', async (t) => {
  const append = groupedAppender(db);
  const records = Array.from({ length: 60 }, () => randomUUID());
  const before = await treeSize(db);
  const started = Date.now();
  const indices = await Promise.all(records.map((recordId) => append([{ actor: null, action: 'record.read', outcome: 'ok', recordId }])));
  t.equal(await treeSize(db), before + 60, 'one event per caller');
  for (const [i, [index]] of indices.entries()) {
    const row = await db.selectFrom('audit_events').select('leaf').where('idx', '=', index!).executeTakeFirstOrThrow();
    t.equal(decodeAuditEvent(row.leaf).recordId, records[i], `caller ${i} got the index of its own event`);
  }
  const times = await db.selectFrom('audit_events').select('at').where('idx', '>=', before).execute();
  const distinct = new Set(times.map((r) => r.at.getTime())).size;
  t.ok(distinct < 60, `60 concurrent events were written by ${distinct} statements (one time per statement)`);
  t.ok(Date.now() - started < 30_000, 'in bounded time');
});

t.test('a caller with several events gets their indices in its own order', async (t) => {
  const append = groupedAppender(db);
  const mine = [randomUUID(), randomUUID(), randomUUID()];
  const [others, got] = await Promise.all([
    append([{ actor: null, action: 'record.read', outcome: 'ok', recordId: randomUUID() }]),
    append(mine.map((recordId) => ({ actor: null, action: 'record.read' as const, outcome: 'ok' as const, recordId }))),
  ]);
  t.equal(others.length, 1);
  for (const [i, index] of got.entries()) {
    const row = await db.selectFrom('audit_events').select('leaf').where('idx', '=', index).executeTakeFirstOrThrow();
    t.equal(decodeAuditEvent(row.leaf).recordId, mine[i], `event ${i}`);
  }
});

t.test('when the statement fails, every caller in its group gets the error, and the queue goes on', async (t) => {
  const append = groupedAppender(db);
  const size = await treeSize(db);
  await sql`create or replace function audit_refuse() returns trigger language plpgsql as $$ begin raise exception 'audit log unavailable'; end $$`.execute(db);
  await sql`create trigger audit_refuse before insert on audit_events for each row execute function audit_refuse()`.execute(db);
  let results: PromiseSettledResult<number[]>[];
  try {
    results = await Promise.allSettled(Array.from({ length: 10 }, () => append([{ actor: null, action: 'record.read', outcome: 'ok', recordId: randomUUID() }])));
  } finally {
    await sql`drop trigger audit_refuse on audit_events`.execute(db);
  }
  t.same(results.map((r) => r.status), Array(10).fill('rejected'), 'all ten refused');
  t.equal(await treeSize(db), size, 'nothing written');
  const [index] = await append([{ actor: null, action: 'record.read', outcome: 'ok', recordId: randomUUID() }]);
  t.equal(index, size, 'the next append works and takes the next index');
});

/** Holds the audit log's lock from another connection until the returned function is called. */
async function holdLogLock(): Promise<() => Promise<void>> {
  const other = kyselyFor(database.url, 1);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = other.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('tvault:audit-log'))`.execute(trx);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await done;
    await other.destroy();
  };
}

t.test('a log lock that is never released: callers get 503 in bounded time, and the queue is bounded', async (t) => {
  const append = groupedAppender(db, { maxWaitMs: 300, maxQueued: 5 });
  const release = await holdLogLock();
  const started = Date.now();
  let results: PromiseSettledResult<number[]>[];
  try {
    results = await Promise.allSettled(Array.from({ length: 6 }, () => append([{ actor: null, action: 'record.read', outcome: 'ok', recordId: randomUUID() }])));
  } finally {
    await release();
  }
  t.ok(Date.now() - started < 5_000, `all answered in ${Date.now() - started} ms`);
  t.same(results.map((r) => r.status), Array(6).fill('rejected'), 'none succeeded while the lock was held');
  t.same(results.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : null)), Array(6).fill('VAULT_ERR_NOT_READY'), 'each with 503 VAULT_ERR_NOT_READY');
});

t.test('PostgreSQL itself gives up on the lock after lock_timeout (10 s): an append fails with 55P03', { skip: database.kind === 'postgres' ? false : 'the embedded database serves one session: another connection waits for the open transaction, not for the lock' }, async (t) => {
  const release = await holdLogLock();
  const started = Date.now();
  try {
    const err = await appendEvents(db, [{ actor: null, action: 'record.read', outcome: 'ok', recordId: randomUUID() }]).catch((e: unknown) => e);
    t.equal((err as { code?: string }).code, '55P03', 'lock_not_available');
    t.equal(toVaultError(err as FastifyError).code, 'VAULT_ERR_NOT_READY', 'answered as 503 VAULT_ERR_NOT_READY');
  } finally {
    await release();
  }
  const waited = Date.now() - started;
  t.ok(waited >= 9_000 && waited < 15_000, `after about 10 s (${waited} ms)`);
});
