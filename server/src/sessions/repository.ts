import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { hashToken, newToken } from './tokens.ts';

export async function createSession(db: Kysely<Database> | Transaction<Database>, accountId: string, ttlSeconds: number) {
  const token = newToken();
  const row = await db
    .insertInto('sessions')
    .values({ account_id: accountId, token_hash: hashToken(token), expires_at: new Date(Date.now() + ttlSeconds * 1000) })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
  return { token, id: row.id, expiresAt: row.expires_at };
}

export async function findLiveSession(db: Kysely<Database>, token: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .select(['sessions.id as sessionId', 'sessions.last_used_at', 'accounts.id as accountId', 'accounts.handle', 'accounts.is_admin'])
    .where('sessions.token_hash', '=', hashToken(token))
    .where('sessions.expires_at', '>', new Date())
    .executeTakeFirst();
}

export async function listSessions(db: Kysely<Database>, accountId: string) {
  return db
    .selectFrom('sessions')
    .select(['id', 'label', 'created_at', 'last_used_at', 'expires_at'])
    .where('account_id', '=', accountId)
    .where('expires_at', '>', new Date())
    .orderBy('created_at', 'desc')
    .execute();
}

/**
 * Stores the label the client encrypted for its own session (docs/PROTOCOL.md "Session
 * labels"); the server checks only its size and version byte.
 */
export async function setSessionLabel(db: Kysely<Database>, sessionId: string, label: Buffer): Promise<void> {
  await db.updateTable('sessions').set({ label }).where('id', '=', sessionId).execute();
}

/** Ends one session of this account; false when there is none with that id. */
export async function endSession(db: Kysely<Database> | Transaction<Database>, accountId: string, sessionId: string): Promise<boolean> {
  const res = await db.deleteFrom('sessions').where('id', '=', sessionId).where('account_id', '=', accountId).executeTakeFirst();
  return res.numDeletedRows > 0n;
}

export async function endOtherSessions(db: Kysely<Database>, accountId: string, keepSessionId: string | null) {
  let q = db.deleteFrom('sessions').where('account_id', '=', accountId);
  if (keepSessionId) q = q.where('id', '!=', keepSessionId);
  await q.execute();
}
