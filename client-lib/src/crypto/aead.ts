import { ENVELOPE_V1, NONCE_BYTES } from '@testimony-vault/protocol';
import { DecryptionError } from '../errors.ts';
import type { Sodium } from './sodium.ts';

// [Note: envelopes]
// Every secret-key ciphertext is stored as: version byte (1) || nonce (24) || ciphertext+tag.
// The nonce is random: XChaCha20's 192-bit nonce makes random nonces safe for any number
// of messages under one key. Associated data always starts with a versioned label.

export function seal(s: Sodium, key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = s.randombytes_buf(NONCE_BYTES);
  const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key);
  const out = new Uint8Array(1 + NONCE_BYTES + ct.length);
  out[0] = ENVELOPE_V1;
  out.set(nonce, 1);
  out.set(ct, 1 + NONCE_BYTES);
  return out;
}

/** Opens an envelope; throws DecryptionError (never returns null) on any failure. */
export function open(s: Sodium, key: Uint8Array, envelope: Uint8Array, aad: Uint8Array, what: string): Uint8Array {
  if (envelope.length < 1 + NONCE_BYTES + s.crypto_aead_xchacha20poly1305_ietf_ABYTES || envelope[0] !== ENVELOPE_V1) {
    throw new DecryptionError(`${what}: unknown or truncated envelope`);
  }
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      envelope.subarray(1 + NONCE_BYTES),
      aad,
      envelope.subarray(1, 1 + NONCE_BYTES),
      key,
    );
  } catch {
    throw new DecryptionError(`${what}: authentication failed`);
  }
}
