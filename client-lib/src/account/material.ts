import { concat, field, utf8, LABEL, KEY_BYTES, toBase64Url as b64, fromBase64Url } from '@testimony-vault/protocol';
import { open, seal } from '../crypto/aead.ts';
import { derivePassphraseKeys, deriveRecoveryKeys, newKdfParams, type KdfLimits, type KdfParams } from '../crypto/kdf.ts';
import { newIdentity, wrapPrivateKeys, type Identity } from '../crypto/identity.ts';
import type { Sodium } from '../crypto/sodium.ts';
import type { WireKdf } from '../api/wire.ts';
import { WeakKdfError } from '../errors.ts';

// Building and opening the key material of an account (docs/PROTOCOL.md, "Accounts").

export function masterKeyAad(label: string, handle: string): Uint8Array {
  return concat(utf8(label), field(utf8(handle)));
}

export interface PassphraseMaterial {
  kdf: KdfParams;
  loginKey: Uint8Array;
  wrappedMasterKey: Uint8Array;
}

/** New salt and parameters, and the master key wrapped under the passphrase. */
export function passphraseMaterial(
  s: Sodium, handle: string, passphrase: string, masterKey: Uint8Array, cost: KdfLimits, floor: KdfLimits,
): PassphraseMaterial {
  const kdf = newKdfParams(s, cost);
  const keys = derivePassphraseKeys(s, passphrase, kdf, floor, handle);
  const wrappedMasterKey = seal(s, keys.keyEncryptionKey, masterKey, masterKeyAad(LABEL.masterKeyWrapPassphrase, handle));
  s.memzero(keys.keyEncryptionKey);
  return { kdf, loginKey: keys.loginKey, wrappedMasterKey };
}

export function openMasterKey(s: Sodium, kek: Uint8Array, handle: string, wrapped: Uint8Array): Uint8Array {
  return open(s, kek, wrapped, masterKeyAad(LABEL.masterKeyWrapPassphrase, handle), 'master key');
}

export function openMasterKeyWithRecovery(s: Sodium, recoveryKey: Uint8Array, handle: string, wrapped: Uint8Array): Uint8Array {
  const { keyEncryptionKey } = deriveRecoveryKeys(s, recoveryKey);
  return open(s, keyEncryptionKey, wrapped, masterKeyAad(LABEL.masterKeyWrapRecovery, handle), 'master key (recovery)');
}

export interface NewAccountMaterial {
  masterKey: Uint8Array;
  recoveryKey: Uint8Array;
  identity: Identity;
  body: Record<string, unknown>;
}

/** Everything registration sends, and the secrets the new client keeps in memory. */
/** `logKeyPin`: the log key's SHA-256 to keep with the private keys ([Note: the log key in the account]). */
export function newAccountMaterial(
  s: Sodium, handle: string, passphrase: string, cost: KdfLimits, floor: KdfLimits, logKeyPin?: Uint8Array,
): NewAccountMaterial {
  const masterKey = s.randombytes_buf(KEY_BYTES);
  const recoveryKey = s.randombytes_buf(KEY_BYTES);
  const pass = passphraseMaterial(s, handle, passphrase, masterKey, cost, floor);
  const recovery = deriveRecoveryKeys(s, recoveryKey);
  const recoveryWrapped = seal(s, recovery.keyEncryptionKey, masterKey, masterKeyAad(LABEL.masterKeyWrapRecovery, handle));
  const identity = newIdentity(s, handle);
  return {
    masterKey,
    recoveryKey,
    identity,
    body: {
      handle,
      kdf: kdfToWire(pass.kdf),
      loginKey: b64(pass.loginKey),
      wrappedMasterKey: b64(pass.wrappedMasterKey),
      recoveryAuthKey: b64(recovery.authKey),
      recoveryWrappedMasterKey: b64(recoveryWrapped),
      identity: {
        signPublicKey: b64(identity.public.signPublicKey),
        boxPublicKey: b64(identity.public.boxPublicKey),
        signature: b64(identity.public.signature),
      },
      wrappedPrivateKeys: b64(wrapPrivateKeys(s, masterKey, handle, identity.private, logKeyPin)),
    },
  };
}

export function kdfToWire(kdf: KdfParams): WireKdf {
  return { algorithm: kdf.algorithm, salt: b64(kdf.salt), opsLimit: kdf.opsLimit, memLimit: kdf.memLimit };
}

export function kdfFromWire(kdf: WireKdf): KdfParams {
  let salt: Uint8Array;
  try {
    salt = fromBase64Url(kdf.salt);
  } catch {
    throw new WeakKdfError('KDF salt is not base64url');
  }
  return { algorithm: kdf.algorithm as KdfParams['algorithm'], salt, opsLimit: kdf.opsLimit, memLimit: kdf.memLimit };
}
