import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { readTeam, Vault } from '@testimony-vault/client';
import { newIdentity } from '../client-lib/src/crypto/identity.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { build, handle, testClient } from './helper.ts';
import { tvaultIn, type Run } from './tvault-run.ts';
import { tvaultOnTerminal } from './tvault-pty.ts';

// `tvault team …` and `tvault case …` in child processes against a real server (issue 20):
// a coordinator makes a team of two staff, a case they write and read, shares it with a
// lawyer until a date, removes one of the staff, and the team's verified history tells it all.

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-teams-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const tvault = tvaultIn(work);

const people = {
  coord: { handle: handle('coord'), pass: 'girasol tranvía pelícano brújula' },
  ana: { handle: handle('ana'), pass: 'farol iguana cántaro velero' },
  beto: { handle: handle('beto'), pass: 'pimienta glaciar rodilla anzuelo' },
  lawyer: { handle: handle('lic'), pass: 'cometa almendra túnel orquesta' },
  eve: { handle: handle('eve'), pass: 'mandarina sótano clavel tiburón' },
  dora: { handle: handle('dora'), pass: 'zapato lucero almíbar cigüeña' },
  ema: { handle: handle('ema'), pass: 'tornillo pradera violín cascada' },
};
type Who = keyof typeof people;
const as = (who: Who, args: string[], env?: Record<string, string>): Promise<Run> => tvault(who, people[who].pass, args, env);
/** For the test's own output: what a terminal would act on, shown as escapes. */
const printable = (text: string) => text.replace(/[^\x20-\x7e\n\u00a0-\u00ff]/g, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
const ok = async (t: Test, who: Who, args: string[]): Promise<string> => {
  const r = await as(who, args);
  t.equal(r.code, 0, `${who}: tvault ${printable(args.join(' '))}: ${printable(r.stderr)}`);
  return r.stdout;
};

// Erase the line, set the clipboard (OSC 52), a right-to-left override: a staff member's title.
const HOSTILE = 'Nota\x1b[2K\r\x1b]52;c;cm0gLXJmIH4=\x07\u202eexe';
const TEAM = 'Albergue Norte';
const FIRST: Who[] = ['coord', 'ana', 'beto', 'lawyer', 'eve'];

t.test('a team from creation to a removal, by tvault alone', async (t) => {
  for (const who of FIRST) await ok(t, who, ['--server', server.url, 'register', people[who].handle]);
  const numbers = {} as Record<Who, string>;
  for (const who of FIRST) numbers[who] = /safety number: ([\d ]+)/.exec(await ok(t, who, ['whoami']))![1]!.trim();

  const created = JSON.parse(await ok(t, 'coord', ['--json', 'team', 'create', TEAM])) as { id: string };
  const team = created.id;

  let r = await as('coord', ['team', 'add', TEAM, people.ana.handle]);
  t.equal(r.code, 2, 'adding a person whose safety number was never compared is refused');
  t.match(r.stderr, /never|not yet compared/);
  t.match(r.stderr, /--unverified/, 'the refusal says how to go on, and names the risk');
  t.match(r.stdout, numbers.ana, 'the safety number to compare was shown');
  t.notMatch(await ok(t, 'coord', ['team', 'show', TEAM]), people.ana.handle, 'and nobody was added');

  r = await as('coord', ['team', 'add', TEAM, people.ana.handle, '--confirm', numbers.beto]);
  t.not(r.code, 0, 'a safety number that is not theirs verifies nobody');
  await ok(t, 'coord', ['team', 'add', TEAM, people.ana.handle, '--confirm', numbers.ana]);
  // At a terminal: the safety number is shown and a person answers that it matches.
  const typed = [{ when: /Passphrase: /, type: `${people.coord.pass}\r` }, { when: /Type "yes"/, type: 'yes\r' }];
  r = await tvaultOnTerminal(work, 'coord', ['team', 'add', team.slice(0, 8), people.beto.handle, '--role', 'member'], { steps: typed });
  t.equal(r.code, 0, r.code === 0 ? 'added at a terminal' : printable(r.stdout));
  t.match(r.stdout, numbers.beto, 'the safety number was shown at the terminal');
  t.match(r.stdout, new RegExp(`${people.beto.handle} is now member`));

  const show = await ok(t, 'coord', ['team', 'show', TEAM]);
  t.match(show, new RegExp(`${people.ana.handle}  member  ✓`), 'members, roles and verified marks');
  t.match(show, new RegExp(`${people.coord.handle}  coordinator  ✓`));
  t.match(show, new RegExp(`${people.beto.handle}  member  ✓`), 'verified at the terminal');
  t.match(show, /Verified: 4 signed statements/);

  await ok(t, 'coord', ['case', 'create', TEAM, 'Familia R.']);
  const narrative = path.join(work, 'llegada.txt');
  await writeFile(narrative, 'Llegaron el martes con dos niños.');
  r = await as('ana', ['case', 'write', TEAM, 'Familia R.', '--title', 'x', '--narrative-file', narrative]);
  t.equal(r.code, 2, 'a member who never compared the safety number of whoever added them is refused a write');
  t.match(r.stderr, new RegExp(`${people.coord.handle} added you to team .*tvault contact ${people.coord.handle}`));
  for (const who of ['ana', 'beto', 'lawyer'] as const) await ok(t, who, ['contact', people.coord.handle, '--confirm', numbers.coord]);
  const first = JSON.parse(await ok(t, 'ana', ['--json', 'case', 'write', TEAM, 'Familia R.', '--title', 'Llegada', '--narrative-file', narrative])) as { id: string };
  const read = await ok(t, 'beto', ['case', 'read', TEAM, 'Llegada']);
  t.match(read, /Llegaron el martes con dos niños\./, 'the other staff member reads it');
  t.match(read, new RegExp(`by ${people.ana.handle}`));
  t.match(read, /case: Familia R\./);

  await ok(t, 'ana', ['case', 'write', TEAM, 'Familia R.', '--title', HOSTILE, '--narrative-file', narrative]);
  const listed = await ok(t, 'coord', ['case', 'list', TEAM, 'Familia R.']);
  t.notMatch(listed, /[\x1b\x07\r\u202e]/, 'a hostile title reaches the terminal with no escape, bell, CR or override');
  t.match(listed, /Nota\\x1b\[2K\\x0d\\x1b\]52;c;cm0gLXJmIH4=\\x07\\u\{202e\}exe/, 'it is shown, made visible');
  t.match(listed, /Llegada/);
  t.notMatch(listed, /Familia R\.  \[/, 'the record naming the case is not listed as a testimony');

  r = await as('coord', ['case', 'share', TEAM, 'Familia R.', people.lawyer.handle, '--until', '2099-12-31']);
  t.equal(r.code, 2, 'a lawyer never verified is refused too');
  await ok(t, 'coord', ['case', 'share', TEAM, 'Familia R.', people.lawyer.handle, '--until', '2099-12-31', '--confirm', numbers.lawyer]);
  t.match(await ok(t, 'lawyer', ['team', 'list']), new RegExp(`${team.slice(0, 8)}  ${TEAM}  reviewer`), 'the lawyer sees the team by its name');
  t.match(await ok(t, 'lawyer', ['case', 'read', TEAM, first.id]), /Llegaron el martes/, 'the lawyer reads the case');
  r = await as('lawyer', ['case', 'write', TEAM, 'Familia R.', '--title', 'x', '--narrative-file', narrative]);
  t.equal(r.code, 2, 'a reviewer does not write');

  const spanish = await as('coord', ['--lang', 'es', 'team', 'show', TEAM]);
  t.equal(spanish.code, 0, spanish.stderr);
  t.match(spanish.stdout, /Miembros:/);
  t.match(spanish.stdout, new RegExp(`${people.ana.handle}  miembro  ✓`));
  t.match(spanish.stdout, /revisores: .*hasta el/);

  await ok(t, 'coord', ['team', 'remove', TEAM, people.beto.handle]);
  const next = JSON.parse(await ok(t, 'ana', ['--json', 'case', 'write', TEAM, 'Familia R.', '--title', 'Después', '--narrative-file', narrative])) as { id: string };
  r = await as('beto', ['case', 'read', team, next.id]);
  t.equal(r.code, 7, 'the removed member cannot read what is written next');
  t.notMatch(r.stdout, /Llegaron/);
  t.match(await ok(t, 'lawyer', ['case', 'read', team, next.id]), /Llegaron/, 'the lawyer still reads it');

  const history = (await ok(t, 'coord', ['team', 'history', TEAM])).split('\n');
  const c = people.coord.handle;
  const steps = [
    `${c}: created the team as coordinator`,
    `${c}: opened case (general space)`,
    `${c}: added ${people.ana.handle} as member`,
    `${c}: added ${people.beto.handle} as member`,
    `${c}: opened case Familia R.`,
    `${c}: shared case Familia R. with ${people.lawyer.handle} until`,
    `${c}: removed ${people.beto.handle}`,
  ];
  t.same(history.filter((l) => l.startsWith('#')).map((l) => steps.find((s) => l.includes(s)) ?? l), steps, 'every step, in order');
  t.match(history[0], /7 signed statements, each verified/);

  const es = await as('coord', ['--lang', 'es', 'team', 'history', TEAM]);
  t.match(es.stdout, new RegExp(`quitó a ${people.beto.handle}`), 'the history in Spanish');

  // From the server's side: it swaps the keys of a person the coordinator verified, then
  // changes the body of a stored team record. tvault refuses both with its usual lines.
  await ok(t, 'coord', ['contact', people.eve.handle, '--confirm', numbers.eve]);
  const forged = newIdentity(await sodiumReady(), people.eve.handle).public;
  await server.db
    .updateTable('accounts')
    .set({ sign_public_key: Buffer.from(forged.signPublicKey), box_public_key: Buffer.from(forged.boxPublicKey), identity_signature: Buffer.from(forged.signature) })
    .where('handle', '=', people.eve.handle)
    .execute();
  r = await as('coord', ['team', 'add', TEAM, people.eve.handle, '--unverified']);
  t.equal(r.code, 6, 'a changed key has its own exit code, even with --unverified');
  t.match(r.stderr, new RegExp(`^tvault: The keys of ${people.eve.handle} changed`));
  t.notMatch(await ok(t, 'coord', ['team', 'show', TEAM]), people.eve.handle, 'nobody was added');

  const stored = await server.db.selectFrom('team_record_versions').select(['body']).where('record_id', '=', first.id).executeTakeFirstOrThrow();
  const body = Buffer.from(stored.body);
  body[body.length - 1]! ^= 1;
  await server.db.updateTable('team_record_versions').set({ body }).where('record_id', '=', first.id).execute();
  r = await as('ana', ['case', 'read', team, first.id]);
  t.equal(r.code, 5, 'a changed record body does not verify');
  t.match(r.stderr, /^tvault: The server handed back data that does not verify/);
  t.notMatch(r.stdout, /Llegaron/);
});

t.test('a coordinator added by someone they never verified is asked before naming a case, as before writing', async (t) => {
  for (const who of ['dora', 'ema'] as const) await ok(t, who, ['--server', server.url, 'register', people[who].handle]);
  const ema = /safety number: ([\d ]+)/.exec(await ok(t, 'ema', ['whoami']))![1]!.trim();
  await ok(t, 'dora', ['team', 'create', 'Casa Sur']);
  await ok(t, 'dora', ['team', 'add', 'Casa Sur', people.ema.handle, '--role', 'coordinator', '--confirm', ema]);
  let r = await as('ema', ['case', 'create', 'Casa Sur', 'Familia T.']);
  t.equal(r.code, 2, 'refused while whoever added her is unverified');
  t.match(r.stderr, new RegExp(`${people.dora.handle} added you to team .*tvault contact ${people.dora.handle}`), 'in her words, not the library\'s');
  t.notMatch(await ok(t, 'dora', ['team', 'show', 'Casa Sur']), /Familia T\./, 'no case was opened');
  r = await as('ema', ['case', 'create', 'Casa Sur', 'Familia T.', '--unverified']);
  t.equal(r.code, 0, `accepting the risk, the case is opened: ${printable(r.stderr)}`);
});

t.test('names: written as earlier tvault builds wrote them, read by the library; renamed by a coordinator only', async (t) => {
  // A team and case named the way tvault named them before the library did: plain team
  // records with its tags, written here through the library's lowest calls.
  const dora = await Vault.login({ ...testClient, server: server.url, handle: people.dora.handle, passphrase: people.dora.pass });
  const team = await dora.teams.create();
  await dora.teams.writeRecord(team, team, { title: 'Posada Vieja', narrative: '', tags: ['tvault:team-name'] });
  const caseId = await dora.teams.createCase(team);
  await dora.teams.writeRecord(team, caseId, { title: 'Familia V.', narrative: 'Posada Vieja', tags: ['tvault:case-name'] });
  await dora.logout();
  t.match(await ok(t, 'dora', ['team', 'list']), new RegExp(`${team.slice(0, 8)}  Posada Vieja  coordinator`), 'an earlier build\'s team name reads');
  t.match(await ok(t, 'dora', ['team', 'show', 'Posada Vieja']), /Familia V\./, 'and its case name');

  let r = await as('dora', ['team', 'rename', 'Posada Vieja', '  ']);
  t.equal(r.code, 2, 'an empty name is refused');
  t.match(r.stderr, /cannot be empty/);
  t.match(await ok(t, 'dora', ['team', 'rename', 'Posada Vieja', 'Posada Nueva']), /now called "Posada Nueva"/);
  t.match(await ok(t, 'dora', ['case', 'rename', 'Posada Nueva', 'Familia V.', 'Familia Vargas']), /"Familia V\." is now called "Familia Vargas"/);
  const show = await ok(t, 'dora', ['team', 'show', 'Posada Nueva']);
  t.match(show, /^Posada Nueva {2}\(/, 'the team goes by its new name');
  t.match(show, /Familia Vargas/, 'the case too');
  t.notMatch(show, /Familia V\.(?!\w)/, 'the old case name is gone');
  t.match(await ok(t, 'dora', ['case', 'list', 'Posada Nueva']), /No testimonies here yet\./, 'a renamed name record is not listed as a testimony');
  r = await as('dora', ['case', 'rename', 'Posada Nueva', team, 'x']);
  t.equal(r.code, 2, 'the general space is not renamed apart from the team');
  t.match(r.stderr, /general space is named with the team/);
  // The same names, through the library: one reading for tvault and the web.
  const again = await Vault.login({ ...testClient, server: server.url, handle: people.dora.handle, passphrase: people.dora.pass });
  const names = await readTeam(again.teams, team);
  t.equal(names.teamName, 'Posada Nueva');
  t.same([...names.caseNames], [[caseId, 'Familia Vargas']]);
  t.equal(names.records.length, 0, 'no name record among the testimonies');
  await again.logout();
});
