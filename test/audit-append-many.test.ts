import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import t from 'tap';
import { decodeAuditEvent } from '@testimony-vault/protocol';
import { hashLeaf } from '@testimony-vault/protocol/merkle';
import { appendEvents, treeSize } from '../server/src/audit/log.ts';
import { rootHash } from '../server/src/audit/merkle-tree.ts';
import { storedRoot } from '../server/src/audit/proofs.ts';
import type { Database } from '../server/src/db/schema.ts';
import { testDatabase } from './helper.ts';

// [Note: audit appends]: audit_append_many (migrations/0011_audit_append_many.ts) writes
// exactly what as many calls of audit_append (0006) in the same order write: the same
// indices, leaves, record chains and subtree hashes. Two databases are given the same
// events, one event per audit_append call in one, batches of audit_append_many in the
// other, and every row of both tables is compared.

const one = (await testDatabase(t)).db;
const many = (await testDatabase(t)).db;

interface Ev {
  actorId: string | null;
  action: string;
  outcome: string;
  recordId: string | null;
  fileId: string | null;
  beforeIndex: Buffer;
  beforePrev: Buffer;
  afterPrev: Buffer;
}

// A few records, so events about the same record fall in the same batch, in earlier
// batches, and both; some events name no record.
const records = Array.from({ length: 5 }, () => randomUUID());
const actors = [null, randomUUID(), randomUUID()];
let seq = 0;
function event(): Ev {
  seq++;
  return {
    actorId: actors[seq % actors.length]!,
    action: seq % 4 === 0 ? 'file.read' : 'record.read',
    outcome: seq % 7 === 0 ? 'refused' : 'ok',
    recordId: seq % 6 === 0 ? null : records[(seq * 7) % records.length]!,
    fileId: seq % 4 === 0 ? randomUUID() : null,
    beforeIndex: randomBytes(20 + (seq % 9)),
    beforePrev: randomBytes(1 + (seq % 3)),
    afterPrev: randomBytes(30 + (seq % 11)),
  };
}

async function appendOneByOne(db: Kysely<Database>, at: Date, evs: Ev[]): Promise<void> {
  for (const e of evs) {
    await sql`select public.audit_append(${at}::timestamptz, ${e.actorId}::uuid, ${e.action}::text, ${e.outcome}::text, ${e.recordId}::uuid,
      ${e.fileId}::uuid, ${e.beforeIndex}::bytea, ${e.beforePrev}::bytea, ${e.afterPrev}::bytea)`.execute(db);
  }
}

async function appendBatch(db: Kysely<Database>, at: Date, evs: Ev[]): Promise<string | null> {
  const col = <K extends keyof Ev>(k: K) => evs.map((e) => e[k]);
  const { rows } = await sql<{ first: string | null }>`select public.audit_append_many(${at}::timestamptz, ${col('actorId')}::uuid[], ${col('action')}::text[],
    ${col('outcome')}::text[], ${col('recordId')}::uuid[], ${col('fileId')}::uuid[], ${col('beforeIndex')}::bytea[], ${col('beforePrev')}::bytea[],
    ${col('afterPrev')}::bytea[]) as first`.execute(db);
  return rows[0]!.first;
}

async function everything(db: Kysely<Database>) {
  const events = await db.selectFrom('audit_events').selectAll().orderBy('idx').execute();
  const nodes = await db.selectFrom('audit_nodes').selectAll().orderBy('level').orderBy('idx').execute();
  return { events, nodes };
}

t.test('batches write exactly what one event at a time writes', async (t) => {
  // Sizes that start batches at odd and even indices, cross subtrees of every height up to
  // 256, and end on complete and incomplete ones.
  const sizes = [1, 1, 2, 3, 5, 8, 1, 13, 64, 7, 31, 129, 2, 200, 45];
  let expectedFirst = 0;
  const given: Ev[] = [];
  for (const [b, size] of sizes.entries()) {
    const evs = Array.from({ length: size }, event);
    given.push(...evs);
    const at = new Date(Date.UTC(2026, 11, 7, 5, 0, b));
    await appendOneByOne(one, at, evs);
    const first = await appendBatch(many, at, evs);
    t.equal(Number(first), expectedFirst, `batch ${b} (${size} events) starts at the next index`);
    expectedFirst += size;
  }
  const a = await everything(one);
  const b = await everything(many);
  t.equal(b.events.length, expectedFirst, 'every event written');
  t.equal(b.nodes.length, a.nodes.length, 'as many subtree hashes');
  t.same(b.events, a.events, 'the same events: indices, times, actors, actions, outcomes, records, files, leaves and leaf hashes');
  t.same(b.nodes, a.nodes, 'the same subtree hashes');
  // And the tree they make is the tree of the leaves, each chain linked.
  const size = await treeSize(many);
  t.same(Buffer.from(await storedRoot(many, size)), Buffer.from(rootHash(b.events.map((r) => new Uint8Array(r.leaf_hash)))), 'stored subtrees give the root of all leaves');
  // The leaf is before_index ‖ u64be(index) ‖ before_prev ‖ field(prev) ‖ after_prev.
  const prevOf = (leaf: Buffer, e: Ev) => {
    const at = e.beforeIndex.length + 8 + e.beforePrev.length;
    const length = leaf.readUInt32BE(at);
    return length === 0 ? null : leaf.subarray(at + 4, at + 4 + length);
  };
  const lastAbout = new Map<string, Buffer>();
  const wrong: string[] = [];
  let linked = 0;
  for (const [i, r] of b.events.entries()) {
    const e = given[i]!;
    if (r.leaf.readBigUInt64BE(e.beforeIndex.length) !== BigInt(i)) wrong.push(`leaf ${i} names another index`);
    if (!r.record_id) continue;
    const expected = lastAbout.get(r.record_id) ?? null;
    const got = prevOf(r.leaf, e);
    if (expected === null ? got !== null : !got?.equals(expected)) wrong.push(`event ${i} does not link to the previous event about its record`);
    if (expected) linked++;
    lastAbout.set(r.record_id, Buffer.from(hashLeaf(new Uint8Array(r.leaf))));
  }
  t.same(wrong, [], 'every leaf names its index and links to the previous event about its record');
  t.ok(linked > 400, `${linked} links checked`);
});

t.test('arrays of unequal length are refused and nothing is written', async (t) => {
  const before = await treeSize(many);
  const evs = [event(), event()];
  const err = await sql`select public.audit_append_many(now(), ${evs.map((e) => e.actorId)}::uuid[], ${evs.map((e) => e.action)}::text[],
    ${evs.map((e) => e.outcome)}::text[], ${evs.map((e) => e.recordId)}::uuid[], ${evs.map((e) => e.fileId)}::uuid[], ${evs.map((e) => e.beforeIndex)}::bytea[],
    ${evs.map((e) => e.beforePrev)}::bytea[], ${[evs[0]!.afterPrev]}::bytea[])`.execute(many).catch((e: unknown) => e);
  t.equal((err as { code?: string }).code, '22023', 'invalid_parameter_value');
  t.equal(await treeSize(many), before, 'nothing written');
  t.equal(await appendBatch(many, new Date(), []), null, 'no events: nothing appended');
  t.equal(await treeSize(many), before);
});

t.test('appendEvents: indices in the order given, addresses kept under the index of their own event', async (t) => {
  const before = await treeSize(many);
  const entries = Array.from({ length: 9 }, (_, i) => ({
    actor: null,
    action: 'record.read' as const,
    outcome: 'ok' as const,
    recordId: records[i % 2]!,
    ip: i % 3 === 0 ? `192.0.2.${i}` : null,
  }));
  const indices = await appendEvents(many, entries);
  t.same(indices, entries.map((_, i) => before + i), 'consecutive, in order');
  for (const [i, index] of indices.entries()) {
    const row = await many.selectFrom('audit_events').select('leaf').where('idx', '=', index).executeTakeFirstOrThrow();
    t.equal(decodeAuditEvent(new Uint8Array(row.leaf)).recordId, entries[i]!.recordId, `event ${i} is the one given`);
  }
  const kept = await many.selectFrom('audit_addresses').select(['idx', 'address']).where('idx', '>=', before).orderBy('idx').execute();
  t.same(kept.map((r) => [Number(r.idx), r.address]), [0, 3, 6].map((i) => [before + i, `192.0.2.${i}`]), 'each address under its own event');
});

// [Note: the append's plans] (migrations/0012_audit_append_index_lookups.ts): statistics
// taken while the log was tiny, then appends on one connection (PL/pgSQL keeps its plans per
// connection), then the log grown: an append must still find sizes, previous events and left
// siblings through the indexes. Read from pg_stat_xact_user_tables inside the append's own
// transaction. Without migration 0012, the previous events and a left sibling were found by
// sequential scans.
t.test('appends read no table sequentially, whatever the statistics say', async (t) => {
  const fresh = (await testDatabase(t)).db;
  await fresh.connection().execute(async (c) => {
    const few = Array.from({ length: 3 }, event);
    await appendBatch(c, new Date(), few);
    await sql`analyze audit_events`.execute(c);
    await sql`analyze audit_nodes`.execute(c);
    for (let i = 0; i < 8; i++) await appendBatch(c, new Date(), [event(), event()]);
    for (let i = 0; i < 10; i++) await appendBatch(c, new Date(), Array.from({ length: 200 }, event));
    for (const size of [1, 7, 200]) {
      const scans = await c.transaction().execute(async (trx) => {
        // The backend's own counters, which also hold its earlier transactions' counts until
        // they are flushed: the append's are the difference.
        const counts = async () =>
          (await sql<{ relname: string; seq_scan: string }>`select relname, seq_scan from pg_stat_xact_user_tables
            where relname in ('audit_events', 'audit_nodes') order by relname`.execute(trx)).rows.map((r) => [r.relname, Number(r.seq_scan)] as const);
        const before = new Map(await counts());
        await appendBatch(trx as unknown as Kysely<Database>, new Date(), Array.from({ length: size }, event));
        return (await counts()).map(([name, n]) => `${name} ${n - before.get(name)!}`);
      });
      t.same(scans, ['audit_events 0', 'audit_nodes 0'], `a batch of ${size}: no sequential scan`);
    }
  });
});

// [Note: one draw of salts] (server/src/audit/log.ts): the salts of a batch come from one draw
// of the CSPRNG, each event its own 16 bytes. Fails when events share a slice of it.
t.test('appendEvents: every event of a batch has a salt of its own', async (t) => {
  const entries = Array.from({ length: 50 }, () => ({ actor: null, action: 'record.read' as const, outcome: 'ok' as const, recordId: records[0]! }));
  const indices = await appendEvents(many, entries);
  const rows = await many.selectFrom('audit_events').select('leaf').where('idx', '>=', indices[0]!).where('idx', '<=', indices.at(-1)!).orderBy('idx').execute();
  const salts = rows.map((r) => Buffer.from(decodeAuditEvent(new Uint8Array(r.leaf)).salt).toString('hex'));
  t.equal(salts.length, 50);
  t.ok(salts.every((s) => s.length === 32), '16 bytes each');
  t.equal(new Set(salts).size, 50, 'no two alike');
});
