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
  /**
   * `verified`: whether this account compared the person's safety number (verifyContact); everyone
   * the chain names is pinned on first sight, so a later different key is a KeyChangedError.
   */
  members: { handle: string; role: TeamRole; fingerprint: string; since: number; verified: boolean }[];
  /**
   * Who added this account (signed the statement its membership, or its case share, starts at),
   * and whether this account verified them: writing into the team, or reading a shared case,
   * while they are unverified needs `requireVerified: false`. Null for the team's creator.
   */
  addedBy: { handle: string; verified: boolean } | null;
  cases: {
    caseId: string;
    /** The team's general space: the case whose id is the team id. */
    general: boolean;
    caseEpoch: number;
    reviewers: { handle: string; fingerprint: string; expiresAt: Date | null; verified: boolean }[];
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

/** The handle that signed the statement this account's membership (else its newest live case share) starts at. */
export function addedBy(t: TeamState, me: string): string | null {
  let member = currentMembers(t).find((m) => m.handle === me);
  // A role change ends one stretch of membership and starts the next: follow it back to the add.
  while (member && t.statements[member.from]!.action === 'role') {
    const from = member.from;
    member = t.memberships.find((m) => m.handle === me && m.to === from);
  }
  if (member) return t.statements[member.from]!.by === me ? null : t.statements[member.from]!.by;
  const shares = [...t.cases.values()].flatMap((c) => currentReviewers(c).filter((r) => r.handle === me));
  const newest = shares.sort((a, b) => b.from - a.from)[0];
  return newest ? t.statements[newest.from]!.by : null;
}

export function describeTeam(s: Sodium, t: TeamState, me: string, isVerified: (handle: string) => boolean): TeamInfo {
  const member = currentMembers(t).find((m) => m.handle === me);
  const reviews = [...t.cases.values()].some((c) => currentReviewers(c).some((r) => r.handle === me));
  const adder = addedBy(t, me);
  return {
    addedBy: adder === null ? null : { handle: adder, verified: isVerified(adder) },
    id: t.team,
    headSeq: headSeq(t),
    teamEpoch: currentTeamEpoch(t).teamEpoch,
    myRole: member ? member.role : reviews ? 'reviewer' : null,
    members: currentMembers(t).map((m) => ({ handle: m.handle, role: m.role, fingerprint: fingerprint(s, m), since: m.from, verified: isVerified(m.handle) })),
    cases: [...t.cases.values()].map((c) => ({
      caseId: c.caseId,
      general: c.caseId === t.team,
      caseEpoch: c.epochs.length,
      reviewers: currentReviewers(c).map((r) => ({ handle: r.handle, fingerprint: fingerprint(s, r), expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt), verified: isVerified(r.handle) })),
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
