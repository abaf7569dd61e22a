import {
  concat, field, utf8, KDF_ALGORITHM, KDF_ALGORITHM_V2, KDF_ALGORITHMS, KDF_CEILING, KDF_FLOOR, KEY_BYTES, LABEL, SALT_BYTES, KDF_CONTEXT, type KdfAlgorithm,
} from '@testimony-vault/protocol';
import { WeakKdfError } from '../errors.ts';
import type { Sodium } from './sodium.ts';

export interface KdfParams {
  /** KDF_ALGORITHM (version 1, older accounts) or KDF_ALGORITHM_V2 (the salt bound to the handle). */
  algorithm: KdfAlgorithm;
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
  return { algorithm: KDF_ALGORITHM_V2, salt: s.randombytes_buf(SALT_BYTES), ...cost };
}

/**
 * Refuses parameters below the floor or above the ceiling, or of an unknown algorithm, and
 * version 1 when `minVersion` is 2 (an account known to have moved to version 2).
 */
export function checkKdfParams(params: KdfParams, floor: KdfLimits, minVersion: 1 | 2 = 1): void {
  const { algorithm, salt, opsLimit, memLimit } = params;
  if (!(KDF_ALGORITHMS as readonly string[]).includes(algorithm)) throw new WeakKdfError(`unknown KDF algorithm ${String(algorithm)}`);
  if (minVersion === 2 && algorithm === KDF_ALGORITHM) throw new WeakKdfError('KDF version 1 offered for an account that uses version 2');
  if (salt.length !== SALT_BYTES) throw new WeakKdfError('KDF salt has the wrong length');
  if (!Number.isInteger(opsLimit) || opsLimit < floor.opsLimit || opsLimit > KDF_CEILING.opsLimit) {
    throw new WeakKdfError(`KDF passes ${opsLimit} outside [${floor.opsLimit}, ${KDF_CEILING.opsLimit}]`);
  }
  if (!Number.isInteger(memLimit) || memLimit < floor.memLimit || memLimit > KDF_CEILING.memLimit) {
    throw new WeakKdfError(`KDF memory ${memLimit} outside [${floor.memLimit}, ${KDF_CEILING.memLimit}]`);
  }
}

/**
 * The salt Argon2id is given. Version 2 binds the handle, so a server that hands every
 * account the same stored salt still gets a different KDF input per account, and one
 * precomputed table covers one handle only. Version 1 used the stored salt as it is.
 */
export function argonSalt(s: Sodium, params: KdfParams, handle: string): Uint8Array {
  if (params.algorithm === KDF_ALGORITHM) return params.salt;
  return s.crypto_generichash(SALT_BYTES, concat(utf8(LABEL.kdfSalt), field(utf8(handle)), params.salt), null);
}

/**
 * Argon2id13 as libsodium's crypto_pwhash computes it. The WebAssembly build's by default;
 * the Node entry point installs native libsodium's where it loads: the same function with
 * the same parameters, about twice as fast ([Note: Argon2id engines]).
 */
export interface Argon2idEngine {
  name: string;
  derive(outLen: number, password: Uint8Array, salt: Uint8Array, opsLimit: number, memLimit: number): Uint8Array;
}

let argon2id: Argon2idEngine | undefined;

/** Installs (or, with undefined, removes) a faster Argon2id; the library's own tests compare both. */
export function useArgon2idEngine(engine: Argon2idEngine | undefined): void {
  argon2id = engine;
}

/** Which Argon2id passphrases are derived with here (for tests and benchmarks). */
export function argon2idEngineName(): string {
  return argon2id?.name ?? 'libsodium (WebAssembly)';
}

/** Argon2id(passphrase) → root key → two independent crypto_kdf subkeys. */
export function derivePassphraseKeys(s: Sodium, passphrase: string, params: KdfParams, floor: KdfLimits, handle: string): PassphraseKeys {
  checkKdfParams(params, floor);
  const password = utf8(passphrase.normalize('NFKC'));
  const salt = argonSalt(s, params, handle);
  let root: Uint8Array;
  try {
    root = argon2id
      ? argon2id.derive(KEY_BYTES, password, salt, params.opsLimit, params.memLimit)
      : s.crypto_pwhash(KEY_BYTES, password, salt, params.opsLimit, params.memLimit, s.crypto_pwhash_ALG_ARGON2ID13);
  } finally {
    s.memzero(password);
  }
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
