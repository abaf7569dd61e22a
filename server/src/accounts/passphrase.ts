import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { decodeBytes } from '../http/schemas.ts';
import { WRAPPED_KEY_BYTES } from '@testimony-vault/protocol';
import { endOtherSessions } from '../sessions/repository.ts';

export interface NewPassphraseMaterial {
  kdf: { algorithm: string; salt: string; opsLimit: number; memLimit: number };
  /** makeVerifier(new login key), computed by the caller under app.passwordWork. */
  loginVerifier: string;
  wrappedMasterKey: string;
}

/**
 * Replaces salt, KDF parameters, login verifier and wrapped master key in one transaction,
 * and ends every session of the account except `keepSessionId` (none after a recovery).
 */
export async function replacePassphrase(
  db: Kysely<Database>, accountId: string, m: NewPassphraseMaterial, keepSessionId: string | null,
  alsoInTransaction: (trx: Transaction<Database>) => Promise<unknown> = async () => undefined,
) {
  const values = {
    kdf_algorithm: m.kdf.algorithm,
    kdf_salt: decodeBytes('kdf.salt', m.kdf.salt, 16),
    kdf_ops_limit: m.kdf.opsLimit,
    kdf_mem_limit: m.kdf.memLimit,
    login_verifier: m.loginVerifier,
    wrapped_master_key: decodeBytes('wrappedMasterKey', m.wrappedMasterKey, WRAPPED_KEY_BYTES),
    updated_at: new Date(),
  };
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('accounts').set(values).where('id', '=', accountId).execute();
    await endOtherSessions(trx, accountId, keepSessionId);
    await alsoInTransaction(trx);
  });
}
