import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { recordDeleteStatement, recordVersionStatement } from '@testimony-vault/protocol';
import { verifyEd25519 } from '../crypto/ed25519.ts';
import { ERR } from '../errors.ts';
import { isLive } from './repository.ts';

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
 * A rotated record key goes to exactly the owner and every grantee whose grant is live:
 * no one else (a revoked or expired grantee must not get the new key), and no one left
 * out (a grantee would silently lose access). A grant made or ended since the client
 * read the list makes this a 409, and the client tries again. Checked under the record's
 * row lock, which grants also take.
 */
export async function checkRotationRecipients(
  trx: Transaction<Database>, recordId: string, ownerId: string, sealedKeys: VersionWrite['sealedKeys'],
): Promise<void> {
  const ids = sealedKeys.map((k) => k.recipientId);
  if (new Set(ids).size !== ids.length) throw new ERR.VALIDATION('a recipient is named more than once');
  const live = await trx.selectFrom('grants as g').select('g.grantee_id').where('g.record_id', '=', recordId).where(isLive).execute();
  const expected = new Set([ownerId, ...live.map((g) => g.grantee_id)]);
  if (ids.length !== expected.size || !ids.every((id) => expected.has(id))) throw new ERR.GRANTS_CHANGED();
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
