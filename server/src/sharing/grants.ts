import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { grantStatement, GRANT_CLOCK_SKEW_MS } from '@testimony-vault/protocol';
import { verifyEd25519 } from '../crypto/ed25519.ts';
import { ERR } from '../errors.ts';
import { isLive } from '../records/repository.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface GrantRequest {
  recordId: string;
  keyVersion: number;
  grantedAt: number;
  expiresAt: number | null;
  signature: Buffer;
  sealedKeys: { keyVersion: number; sealedKey: Buffer }[];
}

type Account = { id: string; handle: string; sign_public_key: Buffer; box_public_key: Buffer };

/** Times the server accepts on a new grant: near its own clock, and an expiry still ahead. */
export function checkGrantTimes(g: Pick<GrantRequest, 'grantedAt' | 'expiresAt'>, now: number): void {
  if (Math.abs(now - g.grantedAt) > GRANT_CLOCK_SKEW_MS) throw new ERR.VALIDATION("grantedAt is too far from the server's clock");
  if (g.expiresAt !== null && g.expiresAt <= Math.max(now, g.grantedAt)) throw new ERR.VALIDATION('expiresAt must be in the future');
}

/**
 * The owner must have signed exactly this grant, naming the grantee's keys as this server
 * stores them: a client that pinned other keys for the grantee signs a grant that fails here.
 */
export function checkGrantSignature(g: GrantRequest, owner: Account, grantee: Account): void {
  const statement = grantStatement({
    recordId: g.recordId,
    keyVersion: g.keyVersion,
    owner: owner.handle,
    grantee: { handle: grantee.handle, signPublicKey: grantee.sign_public_key, boxPublicKey: grantee.box_public_key },
    grantedAt: g.grantedAt,
    expiresAt: g.expiresAt,
  });
  if (!verifyEd25519(owner.sign_public_key, statement, g.signature)) throw new ERR.SIGNATURE_INVALID();
}

/** A grantee gets the record key of every key version 1..current, so it can read the whole history. */
export function checkSealedKeyVersions(sealedKeys: GrantRequest['sealedKeys'], currentKeyVersion: number): void {
  const versions = sealedKeys.map((k) => k.keyVersion).sort((a, b) => a - b);
  if (versions.length !== currentKeyVersion || versions.some((v, i) => v !== i + 1)) {
    throw new ERR.VALIDATION('a grant carries the record key sealed to the grantee for each key version from 1 to the current one, once');
  }
}

/** Inserts the grant and its sealed keys; a live grant for the same person is a 409. Call with the record locked. */
export async function insertGrant(trx: Transaction<Database>, g: GrantRequest, ownerId: string, grantee: Account) {
  const granteeId = grantee.id;
  // A grant that ran out is ended here, so the one live-grant-per-person rule holds.
  await trx
    .updateTable('grants')
    .set({ revoked_at: sql<Date>`now()` })
    .where('record_id', '=', g.recordId)
    .where('grantee_id', '=', granteeId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '<=', sql<Date>`now()`)
    .execute();
  const inserted = await trx
    .insertInto('grants')
    .values({
      record_id: g.recordId,
      grantee_id: granteeId,
      granted_by: ownerId,
      grantee_sign_public_key: grantee.sign_public_key,
      grantee_box_public_key: grantee.box_public_key,
      key_version: g.keyVersion,
      granted_at: new Date(g.grantedAt),
      expires_at: g.expiresAt === null ? null : new Date(g.expiresAt),
      signature: g.signature,
    })
    .onConflict((oc) => oc.columns(['record_id', 'grantee_id']).where('revoked_at', 'is', null).doNothing())
    .returning(['id', 'granted_at'])
    .executeTakeFirst();
  if (!inserted) throw new ERR.GRANT_EXISTS();
  // Keys the grantee held from an earlier grant are the same keys: keep those rows.
  await trx
    .insertInto('record_keys')
    .values(g.sealedKeys.map((k) => ({ record_id: g.recordId, key_version: k.keyVersion, recipient_id: granteeId, sealed_key: k.sealedKey })))
    .onConflict((oc) => oc.columns(['record_id', 'key_version', 'recipient_id']).doNothing())
    .execute();
  return inserted;
}

/** Ends the grantee's grant now (a live one, or one that expired and was never ended). */
export async function revokeGrant(trx: Transaction<Database>, recordId: string, granteeId: string): Promise<boolean> {
  const res = await trx
    .updateTable('grants')
    .set({ revoked_at: sql<Date>`now()` })
    .where('record_id', '=', recordId)
    .where('grantee_id', '=', granteeId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Every grant ever made on a record, oldest first, with the grantee's keys and the newest key version it holds. */
export function grantsOf(db: Db, recordId: string) {
  return db
    .selectFrom('grants as g')
    .innerJoin('accounts as a', 'a.id', 'g.grantee_id')
    .innerJoin('accounts as b', 'b.id', 'g.granted_by')
    .select((eb) => [
      'g.id',
      'g.grantee_id',
      'g.key_version',
      'g.granted_at',
      'g.expires_at',
      'g.revoked_at',
      'g.signature',
      'a.handle',
      'g.grantee_sign_public_key',
      'g.grantee_box_public_key',
      'b.handle as granted_by_handle',
      isLive(eb).as('live'),
      // Ran out before anyone ended it; one clock (the database's) for both.
      eb.and([eb('g.expires_at', 'is not', null), eb('g.expires_at', '<=', sql<Date>`coalesce(g.revoked_at, now())`)]).as('expired'),
      eb
        .selectFrom('record_keys as k')
        .select((k) => k.fn.max('k.key_version').as('v'))
        .whereRef('k.record_id', '=', 'g.record_id')
        .whereRef('k.recipient_id', '=', 'g.grantee_id')
        .as('held_key_version'),
    ])
    .where('g.record_id', '=', recordId)
    .orderBy('g.granted_at')
    .orderBy('g.id')
    .execute();
}

/** The caller's live grants, newest first, with each record's owner. */
export function grantsTo(db: Db, granteeId: string) {
  return db
    .selectFrom('grants as g')
    .innerJoin('records as r', 'r.id', 'g.record_id')
    .innerJoin('accounts as o', 'o.id', 'r.owner_id')
    .select(['g.record_id', 'g.key_version', 'g.granted_at', 'g.expires_at', 'g.signature', 'o.handle', 'o.sign_public_key', 'o.box_public_key', 'o.identity_signature'])
    .where('g.grantee_id', '=', granteeId)
    .where(isLive)
    .orderBy('g.granted_at', 'desc')
    .execute();
}
