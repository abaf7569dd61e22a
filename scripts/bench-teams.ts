// npm run bench:teams [-- --records N --case N --runs N]
// What team membership costs (docs/PERFORMANCE.md "Teams"), side by side in one run, the Node
// client against the real server:
//   - adding a member, then removing one, in a team whose cases hold --records records
//     (default 10,000), beside the same in a team with none: the key hierarchy should make
//     both independent of the number of records (no record key is re-sealed);
//   - opening a case of --case records (default 500) on a new device (no keys held): the chain
//     verified, the keys opened, every record verified and decrypted; beside it, verifying
//     the chain alone.
// The --records records are one real record version copied in the database (adding and
// removing members never reads them); the --case ones are written through the library.
// Medians of --runs runs (default 3). Database: a test database (DATABASE_URL's PostgreSQL,
// else an embedded one), as the tests make it.
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { MemoryStateStore, Vault } from '@testimony-vault/client/node';
import { build, handle, testClient } from '../test/helper.ts';

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '10000' }, case: { type: 'string', default: '500' }, runs: { type: 'string', default: '3' } } });
const RECORDS = Number(args.records);
const CASE = Number(args.case);
const RUNS = Number(args.runs);

const cleanups: (() => unknown)[] = [];
const server = await build({ teardown: (fn) => cleanups.push(fn) }, { LOG_LEVEL: 'warn' });
const db = server.db;

async function person(prefix: string) {
  const h = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
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
  await membership('warm-up (not compared)', 0);
  const empty = await membership('team with no records', 0);
  const full = await membership(`team with ${RECORDS} records`, RECORDS);
  console.log(`ratio (records / none): add ${(full.add / empty.add).toFixed(2)}, remove ${(full.remove / empty.remove).toFixed(2)}`);

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
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
