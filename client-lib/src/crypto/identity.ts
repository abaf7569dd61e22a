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

export function wrapPrivateKeys(s: Sodium, masterKey: Uint8Array, handle: string, keys: PrivateKeys): Uint8Array {
  return seal(s, masterKey, concat(keys.signSecretKey, keys.boxSecretKey), privateKeysAad(handle));
}

/** Unwraps and checks that the private keys belong to the published public keys. */
export function unwrapPrivateKeys(s: Sodium, masterKey: Uint8Array, id: PublicIdentity, wrapped: Uint8Array): PrivateKeys {
  const plain = open(s, masterKey, wrapped, privateKeysAad(id.handle), 'private keys');
  const keys = { signSecretKey: plain.slice(0, 64), boxSecretKey: plain.slice(64, 96) };
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
