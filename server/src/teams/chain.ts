import type { Kysely, Transaction } from 'kysely';
import {
  TeamChainError, applyTeamStatement, currentMembers, currentReviewers, headSeq, replayTeamChain,
  type TeamState, type TeamStatement,
} from '@testimony-vault/protocol';
import { verifyEd25519 } from '../crypto/ed25519.ts';
import type { Database } from '../db/schema.ts';
import { ERR } from '../errors.ts';

type Db = Kysely<Database> | Transaction<Database>;

// [Note: the server replays the chain]
// The server is not trusted with a team's membership, but it must decide who may read and
// write. It replays the stored chain with the same rules as the clients (protocol/src/teams.ts)
// and keeps what that gives (members, cases, reviewers) in tables it reads to authorize
// routes. A statement it refuses never reaches a client; one it forges fails every client's
// replay. Replaying the whole chain on each new statement costs one signature check per
// statement (and one digest per removal's case key list): membership changes are rare.

const verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => verifyEd25519(publicKey, message, signature);

/** The stored statements from seq `from` on, oldest first. */
export async function storedChain(db: Db, teamId: string, from = 0) {
  return db
    .selectFrom('team_statements')
    .select(['seq', 'body', 'signature', 'case_key_list'])
    .where('team_id', '=', teamId)
    .where('seq', '>=', from)
    .orderBy('seq')
    .execute();
}

/** The stored chain, replayed; a chain the server itself cannot replay is a 500 (it was altered). */
export async function loadTeamState(db: Db, teamId: string): Promise<TeamState> {
  const rows = await storedChain(db, teamId);
  return replayTeamChain(teamId, rows.map((r) => ({ json: r.body, signature: r.signature, caseKeyList: r.case_key_list })), verify);
}

/** Applies a new statement on top of `state` (in place), or answers why not. */
export function extendChain(
  state: TeamState | null, teamId: string, json: string, signature: Uint8Array, caseKeyList: Uint8Array | null,
): { state: TeamState; statement: TeamStatement } {
  const t = state ?? { team: teamId, hashes: [], memberships: [], teamEpochs: [], cases: new Map(), statements: [] };
  try {
    const statement = applyTeamStatement(t, { json, signature, caseKeyList }, verify);
    return { state: t, statement };
  } catch (err) {
    if (!(err instanceof TeamChainError)) throw err;
    if (err.kind === 'signature') throw new ERR.SIGNATURE_INVALID();
    if (/^statement at position \d+ says seq|does not follow/.test(err.message)) throw new ERR.VERSION_CONFLICT();
    throw new ERR.VALIDATION(err.message);
  }
}

/** Rewrites the derived tables of a team from its replayed state. */
export async function storeDerived(trx: Transaction<Database>, t: TeamState): Promise<void> {
  await trx.updateTable('teams').set({ head_seq: headSeq(t), head_hash: Buffer.from(t.hashes[headSeq(t)]!) }).where('id', '=', t.team).execute();
  const ids = await accountIds(trx, [...currentMembers(t), ...[...t.cases.values()].flatMap(currentReviewers)].map((m) => m.handle));
  await trx.deleteFrom('team_members').where('team_id', '=', t.team).execute();
  const members = currentMembers(t);
  if (members.length > 0) {
    await trx.insertInto('team_members').values(members.map((m) => ({ team_id: t.team, account_id: ids.get(m.handle)!, role: m.role }))).execute();
  }
  await trx.deleteFrom('team_cases').where('team_id', '=', t.team).execute();
  await trx.deleteFrom('team_reviewers').where('team_id', '=', t.team).execute();
  const cases = [...t.cases.values()];
  for (let i = 0; i < cases.length; i += 5000) {
    await trx.insertInto('team_cases').values(cases.slice(i, i + 5000).map((c) => ({ team_id: t.team, case_id: c.caseId, current_epoch: c.epochs.length }))).execute();
  }
  for (const c of cases) {
    const reviewers = currentReviewers(c);
    if (reviewers.length > 0) {
      await trx
        .insertInto('team_reviewers')
        .values(reviewers.map((r) => ({ team_id: t.team, case_id: c.caseId, account_id: ids.get(r.handle)!, expires_at: r.expiresAt === null ? null : new Date(r.expiresAt) })))
        .execute();
    }
  }
}

/** Account ids by handle; a handle without an account (deleted since) is an error. */
export async function accountIds(db: Db, handles: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(handles)];
  const rows = unique.length === 0 ? [] : await db.selectFrom('accounts').select(['id', 'handle']).where('handle', 'in', unique).execute();
  const ids = new Map(rows.map((r) => [r.handle, r.id]));
  if (ids.size !== unique.length) throw new ERR.UNKNOWN_USER();
  return ids;
}
