import { Type } from '@fastify/type-provider-typebox';
import type { Config } from '../config.ts';
import type { Account } from '../db/schema.ts';
import { identityOf } from '../accounts/repository.ts';
import { ERR } from '../errors.ts';
import { Bytes, BytesOf, Handle, Identity, Timestamp, Uuid, b64 } from '../http/schemas.ts';
import { WRAPPED_KEY_BYTES, WRAPPED_PRIVATE_KEYS_BYTES, WRAPPED_PRIVATE_KEYS_PINNED_BYTES } from '@testimony-vault/protocol';

/** The private-key envelope's sizes: without and with the account's log key pin ([Note: the log key in the account], client-lib). */
export const PRIVATE_KEYS_SIZES = [WRAPPED_PRIVATE_KEYS_BYTES, WRAPPED_PRIVATE_KEYS_PINNED_BYTES];

/** Route options that put an authentication route under the per-client rate limit. */
export function authRateLimited(config: Config) {
  return { config: { rateLimit: { max: config.AUTH_RATE_LIMIT_MAX, timeWindow: config.AUTH_RATE_LIMIT_WINDOW_SECONDS * 1000 } } };
}

/** The server refuses to store a verifier made with a derivation cheaper than its floor. */
export function checkKdfFloor(config: Config, kdf: { opsLimit: number; memLimit: number }) {
  if (kdf.opsLimit < config.KDF_MIN_OPS || kdf.memLimit < config.KDF_MIN_MEM_BYTES) throw new ERR.WEAK_KDF();
}

export const LoginResponse = Type.Object({
  token: Type.String({ description: 'session token: send as "Authorization: Bearer <token>"' }),
  sessionId: Uuid,
  expiresAt: Timestamp,
  account: Type.Object({ id: Uuid, handle: Handle, isAdmin: Type.Boolean() }),
  keys: Type.Object({ wrappedMasterKey: Bytes(WRAPPED_KEY_BYTES), wrappedPrivateKeys: BytesOf(PRIVATE_KEYS_SIZES), identity: Identity }),
});

export function loginResponse(account: Account, session: { token: string; id: string; expiresAt: Date }) {
  return {
    token: session.token,
    sessionId: session.id,
    expiresAt: session.expiresAt.toISOString(),
    account: { id: account.id, handle: account.handle, isAdmin: account.is_admin },
    keys: {
      wrappedMasterKey: b64(account.wrapped_master_key),
      wrappedPrivateKeys: b64(account.wrapped_private_keys),
      identity: identityOf(account),
    },
  };
}
