import t from 'tap';
import {
  CASE_NAME_TAG, createNamedCase, createNamedTeam, MemoryStateStore, namedTeams, readTeam, renameCase, renameTeam, TEAM_NAME_TAG, Vault, VaultError,
} from '@testimony-vault/client';
import { build, handle, testClient } from './helper.ts';

// Team and case names in the library ([Note: team and case names], client-lib/src/teams/names.ts):
// encrypted team records that only a chain signer's record can set, from the side of a member
// who tries to rename the team or a case, and of a server that hides a name record.

const server = await build(t);
const db = server.db;

async function person(prefix: string) {
  const h = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
  return { vault, handle: h };
}

const coord = await person('coord');
const ana = await person('ana');
const lawyer = await person('lawyer');
const unverified = { requireVerified: false };
const team = await createNamedTeam(coord.vault.teams, 'Albergue Norte');
await coord.vault.teams.addMember(team, ana.handle);
const familyCase = await createNamedCase(coord.vault.teams, team, 'Familia R.');
await coord.vault.teams.shareCase(team, familyCase, lawyer.handle);

t.test('names are read apart from testimonies, by members and by the reviewer of a case', async (t) => {
  const { id } = await ana.vault.teams.writeRecord(team, familyCase, { title: 'Llegada', narrative: 'Llegaron el martes.' }, unverified);
  const byAna = await readTeam(ana.vault.teams, team);
  t.equal(byAna.teamName, 'Albergue Norte');
  t.same([...byAna.caseNames], [[familyCase, 'Familia R.']]);
  t.same(byAna.records.map((r) => r.id), [id], 'the name records are not among the testimonies');
  const byLawyer = await readTeam(lawyer.vault.teams, team);
  t.equal(byLawyer.teamName, 'Albergue Norte', 'the reviewer names the team from the case\'s name record');
  t.same([...byLawyer.caseNames], [[familyCase, 'Familia R.']]);
  t.same((await namedTeams(lawyer.vault.teams)).map((x) => [x.name, x.role]), [['Albergue Norte', 'reviewer']]);
});

t.test('a member cannot name the team or a case: their tagged records are testimonies', async (t) => {
  await t.rejects(renameTeam(ana.vault.teams, team, 'Otro nombre', unverified), VaultError, 'the library refuses a member\'s rename');
  // Written anyway, at the lowest level, as a hostile member's client would.
  const forged = await ana.vault.teams.writeRecord(team, team, { title: 'Nombre falso', narrative: '', tags: [TEAM_NAME_TAG] }, unverified);
  const forgedCase = await ana.vault.teams.writeRecord(team, familyCase, { title: 'Caso falso', narrative: 'Equipo falso', tags: [CASE_NAME_TAG] }, unverified);
  const read = await readTeam(coord.vault.teams, team);
  t.equal(read.teamName, 'Albergue Norte', 'the coordinator\'s name stands');
  t.equal(read.caseNames.get(familyCase), 'Familia R.');
  t.ok(read.records.some((r) => r.id === forged.id) && read.records.some((r) => r.id === forgedCase.id), 'the member\'s records are listed as what they are');
});

t.test('a rename is the name record\'s next version: the earlier name stays in its versions', async (t) => {
  await renameTeam(coord.vault.teams, team, '  Albergue Norte de Tijuana ');
  await renameCase(coord.vault.teams, team, familyCase, 'Familia Ramírez');
  const read = await readTeam(ana.vault.teams, team);
  t.equal(read.teamName, 'Albergue Norte de Tijuana', 'trimmed');
  t.equal(read.caseNames.get(familyCase), 'Familia Ramírez');
  const versions = await ana.vault.teams.recordVersions(team, read.nameRecords.team!);
  t.same(versions.map((v) => [v.fields.title, v.author.handle]), [['Albergue Norte', coord.handle], ['Albergue Norte de Tijuana', coord.handle]]);
  const caseVersions = await ana.vault.teams.recordVersions(team, read.nameRecords.cases.get(familyCase)!);
  t.same(caseVersions.at(-1)!.fields, { title: 'Familia Ramírez', narrative: 'Albergue Norte de Tijuana', tags: [CASE_NAME_TAG] }, 'the case record carries the team\'s current name for its reviewers');
  await t.rejects(renameTeam(coord.vault.teams, team, '   '), VaultError, 'an empty name is refused');
  await t.rejects(renameCase(coord.vault.teams, team, team, 'x'), VaultError, 'the general space is named with the team');
});

t.test('a server that leaves out the name record: the team shows no name, never a member\'s', async (t) => {
  const read = await readTeam(coord.vault.teams, team);
  const nameRecord = read.nameRecords.team!;
  const row = await db.selectFrom('team_records').select(['case_id']).where('id', '=', nameRecord).executeTakeFirstOrThrow();
  // Moved to another case in the server's tables: listings of the general space no longer have it.
  await db.updateTable('team_records').set({ case_id: familyCase }).where('id', '=', nameRecord).execute();
  const hidden = await readTeam(coord.vault.teams, team, team);
  t.equal(hidden.teamName, null, 'no name rather than the member\'s forged one');
  t.notOk(hidden.records.some((r) => r.fields.title === 'Albergue Norte de Tijuana'), 'and the name record is not a testimony');
  const whole = await readTeam(coord.vault.teams, team);
  t.ok(whole.records.failures.some((f) => f.id === nameRecord), 'served for the wrong case, it is named as a failure');
  await db.updateTable('team_records').set({ case_id: row.case_id }).where('id', '=', nameRecord).execute();
  t.equal((await readTeam(coord.vault.teams, team)).teamName, 'Albergue Norte de Tijuana', 'back once restored');
});
