import { currentMembers, currentReviewers, currentTeamEpoch, headSeq, type TeamAction, type TeamRole, type TeamState } from '@testimony-vault/protocol';
import { fingerprint } from '../crypto/identity.ts';
import type { Sodium } from '../crypto/sodium.ts';

/** A team as its verified chain has it now. */
export interface TeamInfo {
  id: string;
  /** The newest statement's seq. */
  headSeq: number;
  teamEpoch: number;
  /** This account's role, 'reviewer' if it only reviews cases, or null. */
  myRole: TeamRole | 'reviewer' | null;
  members: { handle: string; role: TeamRole; fingerprint: string; since: number }[];
  cases: {
    caseId: string;
    /** The team's general space: the case whose id is the team id. */
    general: boolean;
    caseEpoch: number;
    reviewers: { handle: string; fingerprint: string; expiresAt: Date | null }[];
  }[];
}

/** One verified statement, as a person reads the team's history. */
export interface TeamHistoryEntry {
  seq: number;
  action: TeamAction;
  /** Who signed it. */
  by: string;
  /** Who it is about: added, removed, re-roled, shared with or revoked. */
  subject: string | null;
  role: TeamRole | null;
  caseId: string | null;
  expiresAt: Date | null;
  teamEpoch: number;
  /** The signer's clock. */
  at: Date;
  /** Hex SHA-256 of the statement: what team records and audit events name. */
  hash: string;
}

export function describeTeam(s: Sodium, t: TeamState, me: string): TeamInfo {
  const member = currentMembers(t).find((m) => m.handle === me);
  const reviews = [...t.cases.values()].some((c) => currentReviewers(c).some((r) => r.handle === me));
  return {
    id: t.team,
    headSeq: headSeq(t),
    teamEpoch: currentTeamEpoch(t).teamEpoch,
    myRole: member ? member.role : reviews ? 'reviewer' : null,
    members: currentMembers(t).map((m) => ({ handle: m.handle, role: m.role, fingerprint: fingerprint(s, m), since: m.from })),
    cases: [...t.cases.values()].map((c) => ({
      caseId: c.caseId,
      general: c.caseId === t.team,
      caseEpoch: c.epochs.length,
      reviewers: currentReviewers(c).map((r) => ({ handle: r.handle, fingerprint: fingerprint(s, r), expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt) })),
    })),
  };
}

export function historyOf(s: Sodium, t: TeamState): TeamHistoryEntry[] {
  return t.statements.map((st) => ({
    seq: st.seq,
    action: st.action,
    by: st.by,
    subject: st.subject?.handle ?? null,
    role: st.role,
    caseId: st.caseId,
    expiresAt: st.expiresAt === null ? null : new Date(st.expiresAt),
    teamEpoch: st.teamEpoch,
    at: new Date(st.at),
    hash: s.to_hex(t.hashes[st.seq]!),
  }));
}
