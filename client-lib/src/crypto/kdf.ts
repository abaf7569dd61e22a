import { KDF_ALGORITHM, KDF_CEILING, KDF_FLOOR, KEY_BYTES, SALT_BYTES, KDF_CONTEXT } from '@testimony-vault/protocol';
import { WeakKdfError } from '../errors.ts';
import type { Sodium } from './sodium.ts';

export interface KdfParams {
  algorithm: typeof KDF_ALGORITHM;
  salt: Uint8Array;
  opsLimit: number;
  memLimit: number;
}

export interface KdfLimits {
  opsLimit: number;
  memLimit: number;
}

export interface PassphraseKeys {
  /** Wraps the master key; never leaves the client. */
  keyEncryptionKey: Uint8Array;
  /** Sent to the server, which stores only argon2id(loginKey). */
  loginKey: Uint8Array;
}

export function newKdfParams(s: Sodium, cost: KdfLimits = KDF_FLOOR): KdfParams {
  return { algorithm: KDF_ALGORITHM, salt: s.randombytes_buf(SALT_BYTES), ...cost };
}

/** Refuses parameters below the floor or above the ceiling, or of an unknown algorithm. */
export function checkKdfParams(params: KdfParams, floor: KdfLimits): void {
  const { algorithm, salt, opsLimit, memLimit } = params;
  if (algorithm !== KDF_ALGORITHM) throw new WeakKdfError(`unknown KDF algorithm ${String(algorithm)}`);
  if (salt.length !== SALT_BYTES) throw new WeakKdfError('KDF salt has the wrong length');
  if (!Number.isInteger(opsLimit) || opsLimit < floor.opsLimit || opsLimit > KDF_CEILING.opsLimit) {
    throw new WeakKdfError(`KDF passes ${opsLimit} outside [${floor.opsLimit}, ${KDF_CEILING.opsLimit}]`);
  }
  if (!Number.isInteger(memLimit) || memLimit < floor.memLimit || memLimit > KDF_CEILING.memLimit) {
    throw new WeakKdfError(`KDF memory ${memLimit} outside [${floor.memLimit}, ${KDF_CEILING.memLimit}]`);
  }
}

/** Argon2id(passphrase) → root key → two independent crypto_kdf subkeys. */
export function derivePassphraseKeys(s: Sodium, passphrase: string, params: KdfParams, floor: KdfLimits): PassphraseKeys {
  checkKdfParams(params, floor);
  const root = s.crypto_pwhash(
    KEY_BYTES,
    passphrase.normalize('NFKC'),
    params.salt,
    params.opsLimit,
    params.memLimit,
    s.crypto_pwhash_ALG_ARGON2ID13,
  );
  try {
    return {
      keyEncryptionKey: s.crypto_kdf_derive_from_key(KEY_BYTES, 1, KDF_CONTEXT.keyEncryptionKey, root),
      loginKey: s.crypto_kdf_derive_from_key(KEY_BYTES, 1, KDF_CONTEXT.loginKey, root),
    };
  } finally {
    s.memzero(root);
  }
}

export interface RecoveryKeys {
  keyEncryptionKey: Uint8Array;
  authKey: Uint8Array;
}

/** The recovery key is itself 32 random bytes, so it feeds crypto_kdf directly. */
export function deriveRecoveryKeys(s: Sodium, recoveryKey: Uint8Array): RecoveryKeys {
  return {
    keyEncryptionKey: s.crypto_kdf_derive_from_key(KEY_BYTES, 1, KDF_CONTEXT.recoveryKeyEncryptionKey, recoveryKey),
    authKey: s.crypto_kdf_derive_from_key(KEY_BYTES, 1, KDF_CONTEXT.recoveryAuthKey, recoveryKey),
  };
}
