import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { build, handle } from './helper.ts';
import { tvaultIn, type Run } from './tvault-run.ts';

// `tvault case history <team> <case>` in child processes against a real server: a staff
// member writes a testimony, a lawyer reviewing the case reads it, a stranger is refused; the
// coordinator's case history names each of them, in English and in Spanish. After one event of
// the testimony's chain is deleted from the database, the history is refused as tampered with
// (exit 5) and no event is printed.

const server = await build(t);
const db = server.db;
const work = await mkdtemp(path.join(tmpdir(), 'tvault-case-history-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const tvault = tvaultIn(work);

const people = {
  coord: { handle: handle('coord'), pass: 'girasol tranvía pelícano brújula' },
  ana: { handle: handle('ana'), pass: 'farol iguana cántaro velero' },
  lawyer: { handle: handle('lic'), pass: 'cometa almendra túnel orquesta' },
};
type Who = keyof typeof people;
const as = (who: Who, args: string[]): Promise<Run> => tvault(who, people[who].pass, args);
const ok = async (t: Test, who: Who, args: string[]): Promise<string> => {
  const r = await as(who, args);
  t.equal(r.code, 0, `${who}: tvault ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const TEAM = 'Albergue Sur';
const CASE = 'Familia M.';

t.test("a case's history in the terminal, and a tampered one refused", async (t) => {
  for (const who of Object.keys(people) as Who[]) await ok(t, who, ['--server', server.url, 'register', people[who].handle]);
  const team = (JSON.parse(await ok(t, 'coord', ['--json', 'team', 'create', TEAM])) as { id: string }).id;
  await ok(t, 'coord', ['team', 'add', TEAM, people.ana.handle, '--unverified']);
  await ok(t, 'coord', ['case', 'create', TEAM, CASE]);
  await ok(t, 'coord', ['case', 'share', TEAM, CASE, people.lawyer.handle, '--unverified']);
  const narrative = path.join(work, 'relato.txt');
  await writeFile(narrative, 'Cruzaron el río de noche.');
  const { id } = JSON.parse(await ok(t, 'ana', ['--json', 'case', 'write', TEAM, CASE, '--title', 'Cruce', '--narrative-file', narrative, '--unverified'])) as { id: string };
  t.match(await ok(t, 'lawyer', ['case', 'read', TEAM, id]), /Cruzaron el río/);

  const english = await ok(t, 'coord', ['case', 'history', TEAM, CASE]);
  t.match(english, new RegExp(`\\[Cruce\\] .*${people.ana.handle} created the testimony`), 'who wrote the testimony');
  t.match(english, new RegExp(`\\[Cruce\\] .*${people.lawyer.handle} read the testimony`), 'the lawyer reading it');
  t.match(english, new RegExp(`\\[case\\] .*${people.coord.handle} let ${people.lawyer.handle} review the case`), 'the share');
  t.match(english, new RegExp(`\\[team\\] .*${people.coord.handle} added ${people.ana.handle} to the team`), 'the member added');
  t.match(english, new RegExp(`events of case ${CASE}, verified against the signed log checkpoint`));

  const spanish = await ok(t, 'coord', ['--lang', 'es', 'case', 'history', TEAM, CASE]);
  t.match(spanish, new RegExp(`\\[Cruce\\] .*${people.lawyer.handle} leyó el testimonio`));
  t.match(spanish, new RegExp(`\\[equipo\\] .*añadió a ${people.ana.handle} al equipo`));
  t.match(spanish, new RegExp(`eventos del caso ${CASE}, verificados`));

  const events = JSON.parse(await ok(t, 'lawyer', ['--json', 'case', 'history', TEAM, CASE])) as { recordId: string; action: string; about: string }[];
  t.ok(events.some((e) => e.recordId === id && e.action === 'record.create' && e.about === 'record'), 'the reviewer reads the case history too (--json)');

  // The lawyer's read, deleted from the log: the testimony's chain breaks.
  const rows = await db.selectFrom('audit_events').select('idx').where('record_id', '=', id).orderBy('idx').execute();
  t.ok(rows.length >= 3, 'the testimony has events after the one deleted');
  await db.deleteFrom('audit_events').where('idx', '=', rows[1]!.idx).execute();
  const r = await as('coord', ['case', 'history', TEAM, CASE]);
  t.equal(r.code, 5, 'refused as data that does not verify');
  t.match(r.stderr, /does not verify/);
  t.notMatch(r.stdout, /created the testimony/, 'no event is printed as the history');
  t.ok(team);
});
