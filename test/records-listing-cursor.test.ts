import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql } from 'kysely';
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { latestQuery } from '../server/src/records/repository.ts';
import { build, handle, testClient } from './helper.ts';

// The listing's cursor (GET /v1/records): records that changed at the same millisecond are
// ordered by id and each listed once, and the cursor is a condition on the owner's index
// (the scan starts at the cursor), not a filter over every newer record
// (docs/PERFORMANCE.md, "Listing").

const server = await build(t);
const db = server.db;

t.test('records changed at the same millisecond: each listed once, newest first then by id, page after page', async (t) => {
  const h = handle('ties');
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', ...testClient });
  const ids: string[] = [];
  for (let i = 0; i < 13; i++) ids.push((await vault.createRecord({ title: `t${i}`, narrative: 'n' })).id);
  // Three instants shared by 5, 4 and 4 records.
  const instants = [new Date('2026-12-01T10:00:00.123Z'), new Date('2026-12-02T10:00:00.456Z'), new Date('2026-12-03T10:00:00.789Z')];
  for (const [i, id] of ids.entries()) {
    await db.updateTable('records').set({ updated_at: instants[i < 5 ? 0 : i < 9 ? 1 : 2]! }).where('id', '=', id).execute();
  }
  const expected = ids
    .map((id, i) => ({ id, at: instants[i < 5 ? 0 : i < 9 ? 1 : 2]!.getTime() }))
    .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
    .map((r) => r.id);
  for (const limit of [1, 2, 4, 5]) {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await vault.listRecords({ limit, ...(cursor ? { cursor } : {}) });
      seen.push(...page.records.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    t.same(seen, expected, `pages of ${limit}: every record once, newest change first, then by id`);
  }
});

/** An account holding `count` records (rows as a listing serves them), inserted directly. */
async function ownerOf(prefix: string, count: number): Promise<string> {
  const h = handle(prefix);
  await Vault.register({ server: server.url, handle: h, passphrase: 'p', ...testClient });
  const owner = await db.selectFrom('accounts').select('id').where('handle', '=', h).executeTakeFirstOrThrow();
  await sql`insert into records (id, owner_id, current_version, current_key_version, created_at, updated_at)
    select gen_random_uuid(), ${owner.id}::uuid, 1, 1, t, t
    from (select timestamptz '2026-12-01' + i * interval '1 second' as t from generate_series(1, ${count}::int) i) s`.execute(db);
  await sql`insert into record_versions (record_id, version, key_version, author_id, body, signature)
    select id, 1, 1, owner_id, decode(repeat('ab', 200), 'hex'), decode(repeat('cd', 64), 'hex') from records where owner_id = ${owner.id}::uuid`.execute(db);
  await sql`insert into record_keys (record_id, key_version, recipient_id, sealed_key)
    select id, 1, owner_id, decode(repeat('ef', 80), 'hex') from records where owner_id = ${owner.id}::uuid`.execute(db);
  return owner.id;
}

interface PlanNode { 'Relation Name'?: string; 'Actual Rows': number; 'Actual Loops': number; Plans?: PlanNode[] }
const rowsRead = (n: PlanNode, table: string): number =>
  (n['Relation Name'] === table ? n['Actual Rows'] * n['Actual Loops'] : 0) + (n.Plans ?? []).reduce((s, c) => s + rowsRead(c, table), 0);

// [Note: the page is chosen before the joins]. Runs before anything in this file analyzes:
// neither the embedded database nor the test PostgreSQL (autovacuum off) has statistics
// here. With the LIMIT outside one join of everything, this plan joined all 3,000 of the
// owner's records to their versions and keys for a page of 51.
t.test('without statistics, a page joins only its own records', async (t) => {
  const owner = await ownerOf('unplanned', 3000);
  for (const before of [undefined, { updatedAt: new Date('2026-12-01T00:40:00Z'), id: randomUUID() }]) {
    const q = latestQuery(db, owner, before, 51).compile();
    const { rows } = await db.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(CompiledQuery.raw(`explain (analyze, format json) ${q.sql}`, [...q.parameters]));
    const plan = rows[0]!['QUERY PLAN'][0].Plan;
    t.equal(plan['Actual Rows'], 51, `a full page (${before ? 'after a cursor' : 'first'})`);
    t.ok(rowsRead(plan, 'record_versions') <= 51, `versions read: ${rowsRead(plan, 'record_versions')}, at most the page`);
    t.ok(rowsRead(plan, 'record_keys') <= 51, `sealed keys read: ${rowsRead(plan, 'record_keys')}, at most the page`);
  }
});

t.test('the cursor is a condition on the owner index, not a filter', async (t) => {
  // Enough rows that the planner walks the index rather than sorting the table.
  const owner = { id: await ownerOf('planned', 3000) };
  await sql`analyze records`.execute(db);
  await sql`analyze record_versions`.execute(db);
  await sql`analyze record_keys`.execute(db);
  const cursor = { updatedAt: new Date('2026-12-01T00:10:00Z'), id: randomUUID() };
  const plan = (await latestQuery(db, owner.id, cursor, 201).explain()).map((r) => String(r['QUERY PLAN'])).join('\n');
  t.match(plan, /Index Scan using records_owner_updated_idx on records r\s+\(cost[^\n]*\n\s+Index Cond: \(\(owner_id = '[^']+'::uuid\) AND \(ROW\(updated_at, id\) < ROW\(/, 'the cursor is an index condition');
  t.notMatch(plan, /Filter: .*updated_at/, 'and no filter on updated_at');
});
