import type { TeamsClient, TeamRecordList } from './client.ts';
import { VaultError } from '../errors.ts';
import type { TeamRecord } from './records.ts';

// [Note: team and case names]
// The chain of a team names no team and no case (ids only: the server must not learn names).
// Names are team records, encrypted like any testimony: a team's name is a record in its
// general space (tag tvault:team-name, the name as its title), a case's name a record in the
// case (tag tvault:case-name, the case name as its title and the team's name as its narrative,
// so a reviewer, who reads only the case, can name the team too). Only a record whose latest
// version is signed by someone who signed a chain statement (a coordinator, now or before)
// names anything, the oldest such record first; a member's record carrying the tag is listed
// as any other record. A rename is the name record's next version. The tags are the ones
// tvault wrote before this module existed, so names written then still read.

export const TEAM_NAME_TAG = 'tvault:team-name';
export const CASE_NAME_TAG = 'tvault:case-name';

/** A team's records as a person reads them: names apart, testimonies in a list. */
export interface TeamContents {
  teamName: string | null;
  /** Case id → the case's name. */
  caseNames: Map<string, string>;
  /** The records that give the names (team: the general space's; case ids → record id), for renaming. */
  nameRecords: { team: string | null; cases: Map<string, string> };
  /** Every other record, newest change first, and each record that failed its checks. */
  records: TeamRecordList;
}

type WriteOptions = { requireVerified?: boolean };

/** Who signed a statement of the team's verified chain: whose tagged records name things. */
async function namers(teams: TeamsClient, team: string): Promise<Set<string>> {
  return new Set((await teams.history(team)).map((h) => h.by));
}

/** Splits a verified listing into names and testimonies ([Note: team and case names]). */
export function splitNames(list: TeamRecordList, team: string, signers: Set<string>): TeamContents {
  const tagged = (r: TeamRecord, tag: string) => signers.has(r.author.handle) && (r.fields.tags ?? []).includes(tag);
  const isName = (r: TeamRecord) => (tagged(r, TEAM_NAME_TAG) && r.caseId === team) || (tagged(r, CASE_NAME_TAG) && r.caseId !== team);
  const out: TeamContents = { teamName: null, caseNames: new Map(), nameRecords: { team: null, cases: new Map() }, records: Object.assign([] as TeamRecord[], { failures: list.failures }) };
  let teamNameFromCase: string | null = null;
  for (const r of [...list].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
    if (!isName(r)) continue;
    if (r.caseId === team) {
      if (out.nameRecords.team === null) [out.nameRecords.team, out.teamName] = [r.id, r.fields.title];
    } else if (!out.caseNames.has(r.caseId)) {
      out.caseNames.set(r.caseId, r.fields.title);
      out.nameRecords.cases.set(r.caseId, r.id);
      if (r.fields.narrative) teamNameFromCase ??= r.fields.narrative;
    }
  }
  out.teamName ??= teamNameFromCase;
  for (const r of list) if (!isName(r)) out.records.push(r);
  return out;
}

/** The team's names and testimonies (of one case, when `caseId` is given), each record verified. */
export async function readTeam(teams: TeamsClient, team: string, caseId?: string): Promise<TeamContents> {
  const signers = await namers(teams, team);
  return splitNames(await teams.listRecords(team, caseId ? { caseId } : {}), team, signers);
}

/** Every team this account belongs to or reviews, with its name where one can be read. */
export async function namedTeams(teams: TeamsClient): Promise<{ id: string; role: string; name: string | null }[]> {
  const out = [];
  for (const team of await teams.list()) {
    // A reviewer has no general space: it reads its cases, whose names carry the team's.
    const name = await readTeam(teams, team.id, team.role === 'reviewer' ? undefined : team.id).then((c) => c.teamName, () => null);
    out.push({ ...team, name });
  }
  return out;
}

const cleanName = (name: string): string => {
  const trimmed = name.trim();
  if (!trimmed) throw new VaultError('a name is not empty');
  return trimmed;
};

/** Creates a team (this account its coordinator) and writes its name. */
export async function createNamedTeam(teams: TeamsClient, name: string): Promise<string> {
  const title = cleanName(name);
  const id = await teams.create();
  await teams.writeRecord(id, id, { title, narrative: '', tags: [TEAM_NAME_TAG] });
  return id;
}

/** Creates a case and writes its name (and the team's, for its reviewers). Writing asks what writing a testimony asks. */
export async function createNamedCase(teams: TeamsClient, team: string, name: string, options: WriteOptions = {}): Promise<string> {
  const title = cleanName(name);
  const { teamName } = await readTeam(teams, team, team);
  const caseId = await teams.createCase(team);
  await teams.writeRecord(team, caseId, { title, narrative: teamName ?? '', tags: [CASE_NAME_TAG] }, options);
  return caseId;
}

/** Names or renames the team: the name record's next version, or a first one. Coordinators only. */
export async function renameTeam(teams: TeamsClient, team: string, name: string, options: WriteOptions = {}): Promise<void> {
  await rename(teams, team, team, TEAM_NAME_TAG, cleanName(name), '', options);
}

/** Names or renames a case (not the general space). Coordinators only. */
export async function renameCase(teams: TeamsClient, team: string, caseId: string, name: string, options: WriteOptions = {}): Promise<void> {
  if (caseId === team) throw new VaultError('the general space is named with the team');
  const { teamName } = await readTeam(teams, team, team);
  await rename(teams, team, caseId, CASE_NAME_TAG, cleanName(name), teamName ?? '', options);
}

async function rename(teams: TeamsClient, team: string, caseId: string, tag: string, title: string, narrative: string, options: WriteOptions): Promise<void> {
  const info = await teams.info(team);
  // A member's tagged record names nothing: refused here rather than written to no effect.
  if (info.myRole !== 'coordinator') throw new VaultError(`only a coordinator of team ${team} names it and its cases`);
  const contents = await readTeam(teams, team, caseId);
  const existing = caseId === team ? contents.nameRecords.team : contents.nameRecords.cases.get(caseId);
  if (existing) await teams.updateRecord(team, existing, { title, tags: [tag], ...(narrative ? { narrative } : {}) }, options);
  else await teams.writeRecord(team, caseId, { title, narrative, tags: [tag] }, options);
}
