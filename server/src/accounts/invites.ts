import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { canonicalInviteCode, INVITE_CODE_BYTES, inviteCodeFromBytes } from '@testimony-vault/protocol';
import type { Database } from '../db/schema.ts';

// Invite codes are shown once ([Note: invite codes people can pass on]); the database keeps
// only the SHA-256 of their canonical form.

const hashCode = (code: string) => createHash('sha256').update(canonicalInviteCode(code), 'utf8').digest();

export async function createInvite(db: Kysely<Database>, createdBy: string, ttlSeconds: number) {
  const code = inviteCodeFromBytes(randomBytes(INVITE_CODE_BYTES));
  const row = await db
    .insertInto('invites')
    .values({ code_hash: hashCode(code), created_by: createdBy, expires_at: new Date(Date.now() + ttlSeconds * 1000) })
    .returning(['expires_at'])
    .executeTakeFirstOrThrow();
  return { code, expiresAt: row.expires_at };
}

/** Marks an unused, unexpired invite as used; false when there is no such invite. */
export async function consumeInvite(trx: Transaction<Database>, code: string): Promise<string | undefined> {
  const row = await trx
    .updateTable('invites')
    .set({ used_at: new Date() })
    .where('code_hash', '=', hashCode(code))
    .where('used_at', 'is', null)
    .where('expires_at', '>', new Date())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

export async function markInviteUsedBy(trx: Transaction<Database>, inviteId: string, accountId: string) {
  await trx.updateTable('invites').set({ used_by: accountId }).where('id', '=', inviteId).execute();
}
