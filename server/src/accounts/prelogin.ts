import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { KDF_ALGORITHM_V2, KDF_FLOOR, SALT_BYTES, type KdfAlgorithm } from '@testimony-vault/protocol';
import { serverSecret } from './server-secrets.ts';

export interface KdfAnswer {
  algorithm: KdfAlgorithm;
  salt: Buffer;
  opsLimit: number;
  memLimit: number;
}

/**
 * The KDF parameters of a handle. For a handle with no account the answer is made up
 * but stable (an HMAC of the handle under a server secret) and shaped like a real one
 * with default parameters, so asking cannot tell which handles exist.
 */
export async function preloginParams(db: Kysely<Database>, handle: string): Promise<KdfAnswer> {
  const row = await db
    .selectFrom('accounts')
    .select(['kdf_algorithm', 'kdf_salt', 'kdf_ops_limit', 'kdf_mem_limit'])
    .where('handle', '=', handle)
    .executeTakeFirst();
  if (row) return { algorithm: row.kdf_algorithm as KdfAlgorithm, salt: row.kdf_salt, opsLimit: row.kdf_ops_limit, memLimit: row.kdf_mem_limit };
  const secret = await serverSecret(db, 'prelogin-salt');
  const salt = createHmac('sha256', secret).update(`tvault/v1/fake-salt\0${handle}`).digest().subarray(0, SALT_BYTES);
  // Shaped like an account made now: version 2, the defaults.
  return { algorithm: KDF_ALGORITHM_V2, salt, ...KDF_FLOOR };
}
