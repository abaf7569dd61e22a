// Teams, cases and team records as the page sees them (dates as ISO strings, no keys).
// Every call reads the team's chain again and verifies it whole (Vault.teams): a chain that
// fails throws, so the page shows a warning, never a partial list.
import type { TeamHistoryEntry, TeamInfo, TeamRecord, TeamRole, Vault } from '@testimony-vault/client';

export interface TeamListItem {
  id: string;
  role: string;
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
  reviewers: { handle: string; fingerprint: string; expiresAt: string | null }[];
}

export interface TeamView {
  id: string;
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
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export async function teamView(vault: Vault, team: string): Promise<TeamView> {
  const info = await vault.teams.info(team);
  const verified = new Set((await vault.listContacts()).filter((c) => c.verified).map((c) => c.handle));
  return {
    id: info.id,
    myRole: info.myRole,
    me: vault.handle,
    addedBy: info.addedBy && { handle: info.addedBy.handle, verified: info.addedBy.verified || verified.has(info.addedBy.handle) },
    members: info.members.map((m) => ({ handle: m.handle, role: m.role, fingerprint: m.fingerprint, since: new Date(m.since).toISOString(), verified: m.handle === vault.handle || verified.has(m.handle) })),
    cases: info.cases.map((c) => ({ caseId: c.caseId, general: c.general, reviewers: c.reviewers.map((r) => ({ handle: r.handle, fingerprint: r.fingerprint, expiresAt: iso(r.expiresAt) })) })),
  };
}

export async function teamHistory(vault: Vault, team: string): Promise<TeamHistoryView[]> {
  return (await vault.teams.history(team)).map((e) => ({
    seq: e.seq, action: e.action, by: e.by, subject: e.subject, role: e.role, caseId: e.caseId, expiresAt: iso(e.expiresAt), at: e.at.toISOString(),
  }));
}

function recordSummary(r: TeamRecord): TeamRecordSummary {
  return { id: r.id, caseId: r.caseId, title: r.fields.title, author: r.author.handle, writtenAt: r.writtenAt.toISOString(), version: r.version };
}

/**
 * The case's records, all verified. One that fails its checks is thrown (the page shows the
 * tampering warning), not left out: a list the server shortened must not look whole.
 */
export async function caseRecords(vault: Vault, team: string, caseId: string): Promise<TeamRecordSummary[]> {
  const list = await vault.teams.listRecords(team, { caseId });
  if (list.failures[0]) throw list.failures[0].error;
  return list.map(recordSummary);
}

export async function teamRecord(vault: Vault, team: string, recordId: string): Promise<TeamRecordView> {
  const r = await vault.teams.readRecord(team, recordId);
  return { ...recordSummary(r), narrative: r.fields.narrative, authorFingerprint: r.author.fingerprint, createdAt: r.createdAt.toISOString() };
}

/** `requireVerified` unless the person accepted writing while who added them is unverified. */
export async function writeTestimony(vault: Vault, team: string, caseId: string, title: string, narrative: string, requireVerified: boolean): Promise<string> {
  return (await vault.teams.writeRecord(team, caseId, { title: title.trim(), narrative }, { requireVerified })).id;
}

/** Adds a member after the page's check: `requireVerified` unless the person accepted the risk. */
export async function addTeamMember(vault: Vault, team: string, handle: string, role: TeamRole, requireVerified: boolean): Promise<void> {
  await vault.teams.addMember(team, handle, { role, requireVerified });
}

export async function shareTeamCase(vault: Vault, team: string, caseId: string, handle: string, expiresAt: string | null, requireVerified: boolean): Promise<void> {
  await vault.teams.shareCase(team, caseId, handle, { requireVerified, ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}) });
}
