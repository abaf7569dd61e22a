import type { Transaction } from 'kysely';
import { LABEL, NONCE_BYTES, KEY_BYTES, TAG_BYTES, currentMembers, currentReviewers, currentTeamEpoch, type TeamState, type TeamStatement } from '@testimony-vault/protocol';
import type { Database } from '../db/schema.ts';
import { ERR } from '../errors.ts';
import { accountIds } from './chain.ts';

// The keys a statement needs come with it, and only those (docs/PROTOCOL.md "Teams"): the
// server cannot open any of them, but it refuses a statement that would leave a member
// without the team key, or a case epoch without its key, so an honest client's mistake
// shows at once. Clients check the keys themselves against the signed commitments.

const SEAL_OVERHEAD = 48;
export const SEALED_TEAM_KEY_BYTES = SEAL_OVERHEAD + LABEL.teamKeySeal.length + 16 + 4 + KEY_BYTES;
export const SHARED_CASE_KEY_BYTES = SEAL_OVERHEAD + LABEL.caseKeyShare.length + 32 + 4 + KEY_BYTES;
export const WRAPPED_CASE_KEY_BYTES = 1 + NONCE_BYTES + KEY_BYTES + TAG_BYTES;

export interface KeyMaterial {
  teamKeys: { handle: string; teamEpoch: number; sealed: Buffer }[];
  caseKeys: { caseId: string; caseEpoch: number; teamEpoch: number; wrapped: Buffer }[];
  shareKeys: { caseId: string; caseEpoch: number; handle: string; sealed: Buffer }[];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

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
        for (const e of range(c.epochs.length)) caseWanted.push(`${c.caseId}|${e}|${epoch}`);
        shareAllowed.push(...currentReviewers(c).map((r) => `${c.caseId}|${c.epochs.length}|${r.handle}`));
      }
      break;
    case 'case-create':
      caseWanted.push(`${s.caseId}|1|${epoch}`);
      break;
    case 'case-share': {
      const c = t.cases.get(s.caseId!)!;
      shareAllowed = range(c.epochs.length).map((e) => `${c.caseId}|${e}|${s.subject!.handle}`);
      shareRequired = true;
      break;
    }
    case 'case-revoke': {
      const c = t.cases.get(s.caseId!)!;
      caseWanted.push(`${c.caseId}|${c.epochs.length}|${epoch}`);
      shareAllowed = currentReviewers(c).map((r) => `${c.caseId}|${c.epochs.length}|${r.handle}`);
      break;
    }
    case 'role':
      break;
  }
  sameSet('sealed team keys', k.teamKeys.map((x) => `${x.handle}|${x.teamEpoch}`), teamWanted);
  sameSet('wrapped case keys', k.caseKeys.map((x) => `${x.caseId}|${x.caseEpoch}|${x.teamEpoch}`), caseWanted);
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
  if (k.caseKeys.length > 0) {
    await trx
      .insertInto('team_case_keys')
      .values(k.caseKeys.map((x) => ({ team_id: teamId, case_id: x.caseId, case_epoch: x.caseEpoch, team_epoch: x.teamEpoch, wrapped: x.wrapped })))
      .execute();
  }
  if (k.shareKeys.length > 0) {
    await trx
      .insertInto('team_share_keys')
      .values(k.shareKeys.map((x) => ({ team_id: teamId, case_id: x.caseId, case_epoch: x.caseEpoch, account_id: ids.get(x.handle)!, sealed: x.sealed })))
      .onConflict((oc) => oc.columns(['team_id', 'case_id', 'case_epoch', 'account_id']).doUpdateSet({ sealed: (eb) => eb.ref('excluded.sealed') }))
      .execute();
  }
}
