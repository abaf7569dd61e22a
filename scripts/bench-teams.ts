// npm run bench:teams [-- --records N --case N --runs N --cases N --removals N --only membership|case|removals]
// What team membership costs (docs/PERFORMANCE.md "Teams"), side by side in one run, the Node
// client against the real server:
//   - adding a member, then removing one, in a team whose cases hold --records records
//     (default 10,000), beside the same in a team with none: the key hierarchy should make
//     both independent of the number of records (no record key is re-sealed);
//   - opening a case of --case records (default 500) on a new device (no keys held): the chain
//     verified, the keys opened, every record verified and decrypted; beside it, verifying
//     the chain alone;
//   - removing members one after another from a team of --cases cases (default 500), to
//     --removals removals (default 21): the first removal is the baseline, and the last must
//     cost the same (one new key and one link per case, a statement of the same size; before
//     the case key links, the 20th removal of a 501-case team was refused at 10,521 keys);
//     then a new device of a member added last reads a record of the case's first epoch.
// The --records records are one real record version copied in the database (adding and
// removing members never reads them); the --case ones are written through the library.
// Medians of --runs runs (default 3). Database: a test database (DATABASE_URL's PostgreSQL,
// else an embedded one), as the tests make it.
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { MemoryStateStore, Vault } from '@testimony-vault/client/node';
import { build, handle, testClient } from '../test/helper.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    case: { type: 'string', default: '500' },
    runs: { type: 'string', default: '3' },
    cases: { type: 'string', default: '500' },
    removals: { type: 'string', default: '21' },
    only: { type: 'string' },
  },
});
const RECORDS = Number(args.records);
const CASE = Number(args.case);
const RUNS = Number(args.runs);
const CASES = Number(args.cases);
const REMOVALS = Number(args.removals);
const runs = (part: 'membership' | 'case' | 'removals') => args.only === undefined || args.only === part;

const cleanups: (() => unknown)[] = [];
const server = await build({ teardown: (fn) => cleanups.push(fn) }, { LOG_LEVEL: 'warn' });
const db = server.db;

/** Sizes of the statement requests a person's client sent (request bytes, statement bytes). */
type Sent = { bytes: number; statement: number }[];

async function person(prefix: string, sent?: Sent) {
  const h = handle(prefix);
  const recording: typeof fetch = async (input, init) => {
    if (sent && init?.method === 'POST' && String(input).endsWith('/statements')) {
      const body = String(init.body);
      sent.push({ bytes: body.length, statement: (JSON.parse(body) as { statement: string }).statement.length });
    }
    return fetch(input, init);
  };
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state: new MemoryStateStore(), fetch: recording, ...testClient });
  return { vault, handle: h };
}

/** The time a call takes, in milliseconds. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function fill(team: string, caseId: string, writer: Vault, n: number): Promise<void> {
  const { id } = await writer.teams.writeRecord(team, caseId, { title: 'bench', narrative: 'a record of the case' });
  await sql`insert into team_records (id, team_id, case_id, current_version)
            select gen_random_uuid(), ${team}, ${caseId}, 1 from generate_series(1, ${n - 1})`.execute(db);
  await sql`insert into team_record_versions (record_id, version, case_epoch, chain_seq, chain_head, author_id, wrapped_key, body, signature)
            select r.id, 1, v.case_epoch, v.chain_seq, v.chain_head, v.author_id, v.wrapped_key, v.body, v.signature
            from team_records r, team_record_versions v
            where r.team_id = ${team} and r.id <> ${id} and v.record_id = ${id}`.execute(db);
}

async function membership(label: string, records: number) {
  const coordinator = await person('coord');
  const team = await coordinator.vault.teams.create();
  for (let i = 0; i < 3; i++) await coordinator.vault.teams.addMember(team, (await person('staff')).handle);
  const caseId = await coordinator.vault.teams.createCase(team);
  if (records > 0) await fill(team, caseId, coordinator.vault, records);
  const stored = Number((await db.selectFrom('team_records').select(sql<number>`count(*)`.as('n')).where('team_id', '=', team).executeTakeFirstOrThrow()).n);
  const add: number[] = [];
  const remove: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const joiner = await person('joiner');
    add.push(await timed(() => coordinator.vault.teams.addMember(team, joiner.handle)));
    remove.push(await timed(() => coordinator.vault.teams.removeMember(team, joiner.handle)));
  }
  const keys = await db.selectFrom('team_case_keys').select(sql<number>`count(*)`.as('n')).where('team_id', '=', team).executeTakeFirstOrThrow();
  console.log(`${label}: ${stored} records; add a member ${median(add).toFixed(0)} ms, remove one ${median(remove).toFixed(0)} ms (medians of ${RUNS}); ${keys.n} wrapped case keys stored after ${RUNS} removals`);
  return { add: median(add), remove: median(remove) };
}

try {
  console.log(`# bench:teams — ${server.database.kind} database`);
  if (runs('membership')) {
    await membership('warm-up (not compared)', 0);
    const empty = await membership('team with no records', 0);
    const full = await membership(`team with ${RECORDS} records`, RECORDS);
    console.log(`ratio (records / none): add ${(full.add / empty.add).toFixed(2)}, remove ${(full.remove / empty.remove).toFixed(2)}`);
  }
  if (runs('case')) await openCase();
  if (runs('removals')) await manyRemovals();
} finally {
  for (const fn of cleanups.reverse()) await fn();
}

async function openCase() {
  const coordinator = await person('coord');
  const ana = await person('ana');
  const team = await coordinator.vault.teams.create();
  await coordinator.vault.teams.addMember(team, ana.handle);
  const caseId = await coordinator.vault.teams.createCase(team);
  const t0 = performance.now();
  for (let i = 0; i < CASE; i++) await coordinator.vault.teams.writeRecord(team, caseId, { title: `testimonio ${i}`, narrative: 'x'.repeat(2000) });
  const writeMs = performance.now() - t0;
  const chain: number[] = [];
  const open: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const device = await Vault.login({ server: server.url, handle: ana.handle, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
    chain.push(await timed(() => device.teams.info(team)));
    const other = await Vault.login({ server: server.url, handle: ana.handle, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
    let n = 0;
    open.push(await timed(async () => (n = (await other.teams.listRecords(team, { caseId })).length)));
    if (n !== CASE) throw new Error(`opened ${n} records, not ${CASE}`);
  }
  console.log(`case of ${CASE} records (written in ${(writeMs / 1000).toFixed(1)} s, ${(writeMs / CASE).toFixed(1)} ms each): opened on a new device in ${median(open).toFixed(0)} ms (${(median(open) / CASE).toFixed(2)} ms a record); verifying the chain alone ${median(chain).toFixed(0)} ms`);
}

async function manyRemovals() {
  const sent: Sent = [];
  const coordinator = await person('coord', sent);
  const team = await coordinator.vault.teams.create();
  const caseId = await coordinator.vault.teams.createCase(team);
  const { id: oldest } = await coordinator.vault.teams.writeRecord(team, caseId, { title: 'época 1', narrative: 'the first record of the case' });
  const t0 = performance.now();
  for (let i = 1; i < CASES - 1; i++) await coordinator.vault.teams.createCase(team);
  const staff = [];
  for (let i = 0; i < REMOVALS; i++) {
    staff.push(await person('staff'));
    await coordinator.vault.teams.addMember(team, staff[i]!.handle);
  }
  const setupS = (performance.now() - t0) / 1000;
  const removals: { ms: number; bytes: number; statement: number }[] = [];
  for (const p of staff) {
    sent.length = 0;
    const ms = await timed(() => coordinator.vault.teams.removeMember(team, p.handle));
    removals.push({ ms, ...sent[sent.length - 1]! });
  }
  const first = removals[0]!;
  const last = removals[removals.length - 1]!;
  const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
  console.log(`team of ${CASES} cases (set up in ${setupS.toFixed(0)} s), ${REMOVALS} removals one after another:`);
  console.log(`  removal 1: ${first.ms.toFixed(0)} ms, request ${kib(first.bytes)}, statement ${first.statement} B`);
  console.log(`  removal ${REMOVALS}: ${last.ms.toFixed(0)} ms, request ${kib(last.bytes)}, statement ${last.statement} B`);
  console.log(`  ratio (last / first): time ${(last.ms / first.ms).toFixed(2)}, request ${(last.bytes / first.bytes).toFixed(3)}, statement ${(last.statement / first.statement).toFixed(3)}`);
  const joiner = await person('joiner');
  await coordinator.vault.teams.addMember(team, joiner.handle);
  const device = await Vault.login({ server: server.url, handle: joiner.handle, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
  let statements = 0;
  const chainMs = await timed(async () => (statements = (await device.teams.info(team)).headSeq + 1));
  const readMs = await timed(() => device.teams.readRecord(team, oldest));
  console.log(`  a member added after them, on a new device: chain of ${statements} statements verified in ${chainMs.toFixed(0)} ms, then the case's epoch-1 record (${REMOVALS} links back) read in ${readMs.toFixed(0)} ms`);
}
