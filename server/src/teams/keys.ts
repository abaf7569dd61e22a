import type { Transaction } from 'kysely';
import { LABEL, NONCE_BYTES, KEY_BYTES, TAG_BYTES, currentMembers, currentReviewers, currentTeamEpoch, type TeamState, type TeamStatement } from '@testimony-vault/protocol';
import type { Database } from '../db/schema.ts';
import { ERR } from '../errors.ts';
import { accountIds } from './chain.ts';

// The keys a statement needs come with it, and only those (docs/PROTOCOL.md "Teams"): the
// server cannot open any of them, but it refuses a statement that would leave a member
// without the team key, or a case epoch without its key and its link to the epoch before, so
// an honest client's mistake shows at once. Clients check the keys themselves against the
// signed commitments.

const SEAL_OVERHEAD = 48;
export const SEALED_TEAM_KEY_BYTES = SEAL_OVERHEAD + LABEL.teamKeySeal.length + 16 + 4 + KEY_BYTES;
export const SHARED_CASE_KEY_BYTES = SEAL_OVERHEAD + LABEL.caseKeyShare.length + 32 + 4 + KEY_BYTES;
export const WRAPPED_CASE_KEY_BYTES = 1 + NONCE_BYTES + KEY_BYTES + TAG_BYTES;

export interface KeyMaterial {
  teamKeys: { handle: string; teamEpoch: number; sealed: Buffer }[];
  caseKeys: { caseId: string; caseEpoch: number; teamEpoch: number; wrapped: Buffer }[];
  /** [Note: case key links] Epoch caseEpoch − 1's key wrapped under epoch caseEpoch's. */
  caseKeyLinks: { caseId: string; caseEpoch: number; wrapped: Buffer }[];
  shareKeys: { caseId: string; caseEpoch: number; handle: string; sealed: Buffer }[];
}

function sameSet(what: string, got: string[], wanted: string[]): void {
  const g = new Set(got);
  if (g.size !== got.length || g.size !== wanted.length || !wanted.every((w) => g.has(w))) {
    throw new ERR.VALIDATION(`${what} are not exactly the ones this statement needs`);
  }
}

/** Checks `k` against what statement `s` (already applied to `t`) needs. */
export function checkKeyMaterial(t: TeamState, s: TeamStatement, k: KeyMaterial): void {
  const epoch = currentTeamEpoch(t).teamEpoch;
  const teamWanted: string[] = [];
  const caseWanted: string[] = [];
  const linkWanted: string[] = [];
  /** Case `c`'s newest epoch (started by this statement): its key under the team key, and its link to the one before. */
  const newEpoch = (c: { caseId: string; epochs: unknown[] }) => {
    caseWanted.push(`${c.caseId}|${c.epochs.length}|${epoch}`);
    if (c.epochs.length >= 2) linkWanted.push(`${c.caseId}|${c.epochs.length}`);
  };
  let shareAllowed: string[] = [];
  let shareRequired = false;
  switch (s.action) {
    case 'create':
    case 'add':
      teamWanted.push(`${s.subject!.handle}|${epoch}`);
      break;
    case 'remove':
      for (const m of currentMembers(t)) teamWanted.push(`${m.handle}|${epoch}`);
      for (const c of t.cases.values()) {
        newEpoch(c);
        shareAllowed.push(...currentReviewers(c).map((r) => `${c.caseId}|${c.epochs.length}|${r.handle}`));
      }
      break;
    case 'case-create':
      newEpoch(t.cases.get(s.caseId!)!);
      break;
    case 'case-share': {
      // The current epoch only: the reviewer reaches older ones by the case key links.
      const c = t.cases.get(s.caseId!)!;
      shareAllowed = [`${c.caseId}|${c.epochs.length}|${s.subject!.handle}`];
      shareRequired = true;
      break;
    }
    case 'case-revoke': {
      const c = t.cases.get(s.caseId!)!;
      newEpoch(c);
      shareAllowed = currentReviewers(c).map((r) => `${c.caseId}|${c.epochs.length}|${r.handle}`);
      break;
    }
    case 'role':
      break;
  }
  sameSet('sealed team keys', k.teamKeys.map((x) => `${x.handle}|${x.teamEpoch}`), teamWanted);
  sameSet('wrapped case keys', k.caseKeys.map((x) => `${x.caseId}|${x.caseEpoch}|${x.teamEpoch}`), caseWanted);
  sameSet('case key links', k.caseKeyLinks.map((x) => `${x.caseId}|${x.caseEpoch}`), linkWanted);
  const shares = k.shareKeys.map((x) => `${x.caseId}|${x.caseEpoch}|${x.handle}`);
  if (shareRequired) sameSet('shared case keys', shares, shareAllowed);
  else if (new Set(shares).size !== shares.length || !shares.every((x) => shareAllowed.includes(x))) {
    throw new ERR.VALIDATION('shared case keys go to current reviewers only, one per case epoch');
  }
}

export async function storeKeyMaterial(trx: Transaction<Database>, teamId: string, k: KeyMaterial): Promise<void> {
  const ids = await accountIds(trx, [...k.teamKeys, ...k.shareKeys].map((x) => x.handle));
  if (k.teamKeys.length > 0) {
    await trx.insertInto('team_keys').values(k.teamKeys.map((x) => ({ team_id: teamId, team_epoch: x.teamEpoch, account_id: ids.get(x.handle)!, sealed: x.sealed }))).execute();
  }
  // In slices: a removal in a team of many cases has a row per case (and PostgreSQL a limit on parameters).
  for (const part of slices(k.caseKeys)) {
    await trx
      .insertInto('team_case_keys')
      .values(part.map((x) => ({ team_id: teamId, case_id: x.caseId, case_epoch: x.caseEpoch, team_epoch: x.teamEpoch, wrapped: x.wrapped })))
      .execute();
  }
  for (const part of slices(k.caseKeyLinks)) {
    await trx.insertInto('team_case_key_links').values(part.map((x) => ({ team_id: teamId, case_id: x.caseId, case_epoch: x.caseEpoch, wrapped: x.wrapped }))).execute();
  }
  if (k.shareKeys.length > 0) {
    await trx
      .insertInto('team_share_keys')
      .values(k.shareKeys.map((x) => ({ team_id: teamId, case_id: x.caseId, case_epoch: x.caseEpoch, account_id: ids.get(x.handle)!, sealed: x.sealed })))
      .onConflict((oc) => oc.columns(['team_id', 'case_id', 'case_epoch', 'account_id']).doUpdateSet({ sealed: (eb) => eb.ref('excluded.sealed') }))
      .execute();
  }
}

function slices<T>(list: T[], size = 2000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
