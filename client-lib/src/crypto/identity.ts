import { concat, equalBytes, field, utf8, LABEL, identityStatement } from '@testimony-vault/protocol';
import { IntegrityError, SignatureError } from '../errors.ts';
import { open, seal } from './aead.ts';
import type { Sodium } from './sodium.ts';

export interface PublicIdentity {
  handle: string;
  signPublicKey: Uint8Array;
  boxPublicKey: Uint8Array;
  /** Ed25519 signature by signPublicKey over identityStatement(handle, keys). */
  signature: Uint8Array;
}

export interface PrivateKeys {
  signSecretKey: Uint8Array;
  boxSecretKey: Uint8Array;
}

export interface Identity {
  public: PublicIdentity;
  private: PrivateKeys;
}

export function newIdentity(s: Sodium, handle: string): Identity {
  const sign = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  const statement = identityStatement(handle, sign.publicKey, box.publicKey);
  return {
    public: {
      handle,
      signPublicKey: sign.publicKey,
      boxPublicKey: box.publicKey,
      signature: s.crypto_sign_detached(statement, sign.privateKey),
    },
    private: { signSecretKey: sign.privateKey, boxSecretKey: box.privateKey },
  };
}

/** Throws SignatureError unless the identity is signed by its own signing key. */
export function verifyIdentity(s: Sodium, id: PublicIdentity): void {
  const statement = identityStatement(id.handle, id.signPublicKey, id.boxPublicKey);
  let ok = false;
  try {
    ok = s.crypto_sign_verify_detached(id.signature, statement, id.signPublicKey);
  } catch {
    ok = false;
  }
  if (!ok) throw new SignatureError(`identity of ${id.handle} is not self-signed`);
}

function privateKeysAad(handle: string): Uint8Array {
  return concat(utf8(LABEL.privateKeys), field(utf8(handle)));
}

// [Note: the log key in the account]
// A client pins the audit log's key on first use, in its state store. The web client keeps
// no state, so every login was a first use, and a server that swapped its log key (to sign
// a rewritten log, accesses removed) was believed at the next login (the attacker review of
// the web client). So an account made now carries, after its private keys and under the
// same AEAD, the SHA-256 of the log key it was registered under: written once, at
// registration, opened at every login on every device, and out of the server's reach (it
// cannot remove the 32 bytes without the master key: the ciphertext would not open; and no
// envelope without them ever existed for the account). Accounts made before have none and
// pin on first use as before.

export function wrapPrivateKeys(s: Sodium, masterKey: Uint8Array, handle: string, keys: PrivateKeys, logKeyPin?: Uint8Array): Uint8Array {
  if (logKeyPin !== undefined && logKeyPin.length !== 32) throw new Error('a log key pin is 32 bytes');
  return seal(s, masterKey, concat(keys.signSecretKey, keys.boxSecretKey, ...(logKeyPin ? [logKeyPin] : [])), privateKeysAad(handle));
}

/** The SHA-256 of an audit log verifier key, as an account pins it. */
export function logKeyPin(s: Sodium, verifierKey: string): Uint8Array {
  return s.crypto_hash_sha256(utf8(verifierKey));
}

/**
 * Unwraps and checks that the private keys belong to the published public keys; with them
 * the account's log key pin, or null for an account made before there was one.
 */
export function unwrapPrivateKeys(s: Sodium, masterKey: Uint8Array, id: PublicIdentity, wrapped: Uint8Array): PrivateKeys & { logKeyPin: Uint8Array | null } {
  const plain = open(s, masterKey, wrapped, privateKeysAad(id.handle), 'private keys');
  if (plain.length !== 96 && plain.length !== 128) throw new IntegrityError('private keys have an unknown length');
  const keys = { signSecretKey: plain.slice(0, 64), boxSecretKey: plain.slice(64, 96), logKeyPin: plain.length === 128 ? plain.slice(96) : null };
  const signPk = s.crypto_sign_ed25519_sk_to_pk(keys.signSecretKey);
  const boxPk = s.crypto_scalarmult_base(keys.boxSecretKey);
  if (!equalBytes(signPk, id.signPublicKey) || !equalBytes(boxPk, id.boxPublicKey)) {
    throw new IntegrityError('private keys do not match the public identity');
  }
  return keys;
}

/**
 * The safety number: 60 digits in 12 groups of 5, from BLAKE2b-512 over the handle and
 * both public keys. Each group is a 40-bit slice of the hash reduced mod 100000 (the
 * bias is under 1e-7), so two people can read it to each other and compare.
 */
export function fingerprint(s: Sodium, id: Pick<PublicIdentity, 'handle' | 'signPublicKey' | 'boxPublicKey'>): string {
  const input = concat(utf8(LABEL.fingerprint), field(utf8(id.handle)), field(id.signPublicKey), field(id.boxPublicKey));
  const hash = s.crypto_generichash(64, input, null);
  const groups: string[] = [];
  for (let g = 0; g < 12; g++) {
    let n = 0;
    for (let i = 0; i < 5; i++) n = n * 256 + hash[g * 5 + i]!;
    groups.push(String(n % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}
