import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { KDF_ALGORITHM, KDF_FLOOR, SALT_BYTES } from '@testimony-vault/protocol';
import { serverSecret } from './server-secrets.ts';

export interface KdfAnswer {
  algorithm: typeof KDF_ALGORITHM;
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
    .select(['kdf_salt', 'kdf_ops_limit', 'kdf_mem_limit'])
    .where('handle', '=', handle)
    .executeTakeFirst();
  if (row) return { algorithm: KDF_ALGORITHM, salt: row.kdf_salt, opsLimit: row.kdf_ops_limit, memLimit: row.kdf_mem_limit };
  const secret = await serverSecret(db, 'prelogin-salt');
  const salt = createHmac('sha256', secret).update(`tvault/v1/fake-salt\0${handle}`).digest().subarray(0, SALT_BYTES);
  return { algorithm: KDF_ALGORITHM, salt, ...KDF_FLOOR };
}
