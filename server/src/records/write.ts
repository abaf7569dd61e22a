import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { recordDeleteStatement, recordVersionStatement } from '../../../client-lib/src/protocol/statements.ts';
import { verifyEd25519 } from '../crypto/ed25519.ts';
import { ERR } from '../errors.ts';

export interface VersionWrite {
  recordId: string;
  version: number;
  keyVersion: number;
  body: Buffer;
  signature: Buffer;
  sealedKeys: { recipientId: string; sealedKey: Buffer }[];
}

/**
 * The author must have signed exactly this record id, version, key version and body.
 * The server cannot read the body, but it can refuse writes that no client would accept
 * (and writes by a stolen session token without the signing key).
 */
export function checkVersionSignature(w: VersionWrite, signPublicKey: Buffer): void {
  const bodyHash = createHash('sha256').update(w.body).digest();
  const statement = recordVersionStatement(w.recordId, w.version, w.keyVersion, bodyHash);
  if (!verifyEd25519(signPublicKey, statement, w.signature)) throw new ERR.SIGNATURE_INVALID();
}

/** The owner must have signed the deletion of exactly this record at exactly this version. */
export function checkDeleteSignature(recordId: string, version: number, signature: Buffer, signPublicKey: Buffer): void {
  if (!verifyEd25519(signPublicKey, recordDeleteStatement(recordId, version), signature)) throw new ERR.SIGNATURE_INVALID();
}

/**
 * Each recipient of a new record key once, and each an account: refused here with a 400
 * rather than by the database's keys (a 500 before errors.ts mapped them).
 */
export async function checkRecipients(db: Kysely<Database> | Transaction<Database>, sealedKeys: VersionWrite['sealedKeys']): Promise<void> {
  const ids = sealedKeys.map((k) => k.recipientId);
  if (ids.length === 0) return;
  if (new Set(ids).size !== ids.length) throw new ERR.VALIDATION('a recipient is named more than once');
  const found = await db.selectFrom('accounts').select('id').where('id', 'in', ids).execute();
  if (found.length !== ids.length) throw new ERR.VALIDATION('a recipient is not an account on this server');
}

export async function insertVersion(trx: Transaction<Database>, w: VersionWrite, authorId: string, now: Date) {
  await trx
    .insertInto('record_versions')
    .values({ record_id: w.recordId, version: w.version, key_version: w.keyVersion, author_id: authorId, body: w.body, signature: w.signature, created_at: now })
    .execute();
  if (w.sealedKeys.length > 0) {
    await trx
      .insertInto('record_keys')
      .values(w.sealedKeys.map((k) => ({ record_id: w.recordId, key_version: w.keyVersion, recipient_id: k.recipientId, sealed_key: k.sealedKey, created_at: now })))
      .execute();
  }
}
