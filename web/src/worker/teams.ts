// Teams, cases and team records as the page sees them (dates as ISO strings, no keys).
// Every call reads the team's chain again and verifies it whole (Vault.teams): a chain that
// fails throws, so the page shows a warning, never a partial list.
export { caseHistory, type CaseHistoryEventView } from './case-history.ts';
import {
  CASE_NAME_TAG, createNamedCase, createNamedTeam, namedTeams, readTeam, renameCase, renameTeam, TEAM_NAME_TAG,
  type TeamContents, type TeamHistoryEntry, type TeamInfo, type TeamRecord, type TeamRole, type Vault,
} from '@testimony-vault/client';
import { changesOf, fieldsOf } from './drafts.ts';
import type { RecordDraft } from './types.ts';
import { label } from './views.ts';

/** A team's or case's name as shown: without the characters that make a text read as another ([Note: names shown as written] in views.ts). */
const nameOrNull = (name: string | null | undefined): string | null => (name === null || name === undefined ? null : label(name));

export interface TeamListItem {
  id: string;
  role: string;
  /** The team's name ([Note: team and case names] in the client library), null when none can be read. */
  name: string | null;
}

export interface TeamMemberView {
  handle: string;
  role: TeamRole;
  fingerprint: string;
  since: string;
  /** This account compared the person's safety number (its contacts' pin). */
  verified: boolean;
}

export interface TeamCaseView {
  caseId: string;
  general: boolean;
  /** The case's name, null when it has none (the general space is named by the page). */
  name: string | null;
  reviewers: { handle: string; fingerprint: string; expiresAt: string | null }[];
}

export interface TeamView {
  id: string;
  name: string | null;
  myRole: TeamInfo['myRole'];
  me: string;
  /** Who added this account, and whether it compared their number: writing needs that, or a yes to the risk. */
  addedBy: { handle: string; verified: boolean } | null;
  members: TeamMemberView[];
  cases: TeamCaseView[];
}

export interface TeamHistoryView {
  seq: number;
  action: TeamHistoryEntry['action'];
  by: string;
  subject: string | null;
  role: TeamRole | null;
  caseId: string | null;
  expiresAt: string | null;
  at: string;
}

export interface TeamRecordSummary {
  id: string;
  caseId: string;
  title: string;
  author: string;
  writtenAt: string;
  version: number;
}

export interface TeamRecordView extends TeamRecordSummary {
  narrative: string;
  authorFingerprint: string;
  createdAt: string;
  latestVersion: number;
  /** The fields as the record editor takes them, for a correction. */
  draft: RecordDraft;
  /** Members and coordinators correct a record; a reviewer reads it. */
  myRole: TeamInfo['myRole'];
  addedBy: TeamView['addedBy'];
}

/** A case as its page shows it: the team, the case's name and its testimonies (never its name record). */
export interface CaseView {
  team: TeamView;
  name: string | null;
  records: TeamRecordSummary[];
}

/** Every version of a team record, oldest first, each with its author and time; and each that failed its checks. */
export interface TeamVersionsView {
  versions: (TeamRecordSummary & { narrative: string })[];
  failures: { version: number; name: string; code: string }[];
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The teams of this account, with their names. */
export const teamList = (vault: Vault): Promise<TeamListItem[]> => namedTeams(vault.teams);

/** The team, named with what this account can read: every case's name (all its records are read), or `contents`'s. */
/** Who added this account, verified when compared in the team or in contacts. */
async function addedByView(vault: Vault, info: TeamInfo): Promise<TeamView['addedBy']> {
  if (!info.addedBy) return null;
  const verified = info.addedBy.verified || (await vault.listContacts()).some((c) => c.verified && c.handle === info.addedBy!.handle);
  return { handle: info.addedBy.handle, verified };
}

export async function teamView(vault: Vault, team: string, contents?: TeamContents): Promise<TeamView> {
  const info = await vault.teams.info(team);
  const names = contents ?? (await readTeam(vault.teams, team));
  const verified = new Set((await vault.listContacts()).filter((c) => c.verified).map((c) => c.handle));
  return {
    id: info.id,
    name: nameOrNull(names.teamName),
    myRole: info.myRole,
    me: vault.handle,
    addedBy: info.addedBy && { handle: info.addedBy.handle, verified: info.addedBy.verified || verified.has(info.addedBy.handle) },
    members: info.members.map((m) => ({ handle: m.handle, role: m.role, fingerprint: m.fingerprint, since: new Date(m.since).toISOString(), verified: m.handle === vault.handle || verified.has(m.handle) })),
    cases: info.cases.map((c) => ({
      caseId: c.caseId, general: c.general, name: nameOrNull(names.caseNames.get(c.caseId)),
      reviewers: c.reviewers.map((r) => ({ handle: r.handle, fingerprint: r.fingerprint, expiresAt: iso(r.expiresAt) })),
    })),
  };
}

export async function teamHistory(vault: Vault, team: string): Promise<TeamHistoryView[]> {
  return (await vault.teams.history(team)).map((e) => ({
    seq: e.seq, action: e.action, by: e.by, subject: e.subject, role: e.role, caseId: e.caseId, expiresAt: iso(e.expiresAt), at: e.at.toISOString(),
  }));
}

function recordSummary(r: TeamRecord): TeamRecordSummary {
  return { id: r.id, caseId: r.caseId, title: label(r.fields.title), author: r.author.handle, writtenAt: r.writtenAt.toISOString(), version: r.version };
}

/**
 * The case's testimonies, all verified, and its name. One that fails its checks is thrown (the
 * page shows the tampering warning), not left out: a list the server shortened must not look whole.
 */
export async function caseView(vault: Vault, team: string, caseId: string): Promise<CaseView> {
  const contents = await readTeam(vault.teams, team, caseId);
  if (contents.records.failures[0]) throw contents.records.failures[0].error;
  const view = await teamView(vault, team, contents);
  // A member names the team from its general space; a reviewer, from the case's name record.
  if (caseId !== team && view.myRole !== 'reviewer') view.name = nameOrNull((await readTeam(vault.teams, team, team)).teamName) ?? view.name;
  return { team: view, name: nameOrNull(contents.caseNames.get(caseId)), records: contents.records.map(recordSummary) };
}

const isNameTag = (tag: string) => tag === TEAM_NAME_TAG || tag === CASE_NAME_TAG;

function draftOf(r: TeamRecord): RecordDraft {
  const f = r.fields;
  return {
    title: f.title, narrative: f.narrative, occurredAt: (f.occurredAt ?? '').slice(0, 10), place: f.place ?? '', language: f.language ?? '',
    tags: (f.tags ?? []).filter((t) => !isNameTag(t)),
  };
}

export async function teamRecord(vault: Vault, team: string, recordId: string): Promise<TeamRecordView> {
  const r = await vault.teams.readRecord(team, recordId);
  const info = await vault.teams.info(team);
  return {
    ...recordSummary(r), narrative: r.fields.narrative, authorFingerprint: r.author.fingerprint, createdAt: r.createdAt.toISOString(), latestVersion: r.latestVersion, draft: draftOf(r),
    myRole: info.myRole, addedBy: await addedByView(vault, info),
  };
}

export async function teamRecordVersions(vault: Vault, team: string, recordId: string): Promise<TeamVersionsView> {
  const all = await vault.teams.recordVersions(team, recordId);
  return {
    versions: all.map((r) => ({ ...recordSummary(r), narrative: r.fields.narrative })),
    failures: all.failures.map((f) => ({ version: f.version, name: f.error.name, code: f.error.code })),
  };
}

/** A testimony's fields: the tags that name teams and cases are not a testimony's to carry. */
function testimonyFields(draft: RecordDraft) {
  const fields = fieldsOf(draft);
  fields.tags = fields.tags.filter((t) => !isNameTag(t));
  return fields;
}

/** `requireVerified` unless the person accepted writing while who added them is unverified. */
export async function writeTestimony(vault: Vault, team: string, caseId: string, draft: RecordDraft, requireVerified: boolean): Promise<string> {
  return (await vault.teams.writeRecord(team, caseId, testimonyFields(draft), { requireVerified })).id;
}

/** A correction: the record's next version, its earlier ones kept and listed. */
export async function correctTestimony(vault: Vault, team: string, recordId: string, draft: RecordDraft, requireVerified: boolean): Promise<number> {
  const changes = { ...changesOf(draft), tags: testimonyFields(draft).tags };
  return (await vault.teams.updateRecord(team, recordId, changes, { requireVerified })).version;
}

export const createTeam = (vault: Vault, name: string): Promise<string> => createNamedTeam(vault.teams, name);

/** Opens a case with its name: writing the name asks what writing a testimony asks. */
export const createCase = (vault: Vault, team: string, name: string, requireVerified: boolean): Promise<string> => createNamedCase(vault.teams, team, name, { requireVerified });

/** Renames the team (`caseId` null) or a case: a new version of its name record. */
export async function rename(vault: Vault, team: string, caseId: string | null, name: string, requireVerified: boolean): Promise<void> {
  if (caseId === null) await renameTeam(vault.teams, team, name, { requireVerified });
  else await renameCase(vault.teams, team, caseId, name, { requireVerified });
}

/** Adds a member after the page's check: `requireVerified` unless the person accepted the risk. */
export async function addTeamMember(vault: Vault, team: string, handle: string, role: TeamRole, requireVerified: boolean): Promise<void> {
  await vault.teams.addMember(team, handle, { role, requireVerified });
}

export async function shareTeamCase(vault: Vault, team: string, caseId: string, handle: string, expiresAt: string | null, requireVerified: boolean): Promise<void> {
  await vault.teams.shareCase(team, caseId, handle, { requireVerified, ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}) });
}
