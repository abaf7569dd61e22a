import type { SodiumEngine } from '../crypto/sodium.ts';
import { loadSodiumNative } from './sodium-native.ts';

// The calls of [Note: native libsodium for records] through sodium-native.

/** The part of sodium-native used here (the package ships no types). */
interface SodiumNativeRecords {
  crypto_box_SEALBYTES: number;
  crypto_hash_sha256_BYTES: number;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  crypto_box_seal_open(message: Uint8Array, ciphertext: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): boolean;
  crypto_hash_sha256(out: Uint8Array, message: Uint8Array): void;
  crypto_kdf_derive_from_key(out: Uint8Array, id: number, context: Uint8Array, key: Uint8Array): void;
}

/** The native engine, or undefined where sodium-native does not load ([loadSodiumNative]). */
export function loadNativeSodium(): SodiumEngine | undefined {
  const na = loadSodiumNative<SodiumNativeRecords>();
  if (!na || typeof na.crypto_box_seal_open !== 'function' || typeof na.crypto_kdf_derive_from_key !== 'function') return undefined;
  const contexts = new Map<string, Uint8Array>();
  return {
    name: 'libsodium (native, sodium-native)',
    verifyDetached: (signature, message, publicKey) => na.crypto_sign_verify_detached(signature, message, publicKey),
    sealOpen(ciphertext, publicKey, secretKey) {
      const out = new Uint8Array(ciphertext.length - na.crypto_box_SEALBYTES);
      if (na.crypto_box_seal_open(out, ciphertext, publicKey, secretKey)) return out;
      out.fill(0);
      return undefined;
    },
    sha256(message) {
      const out = new Uint8Array(na.crypto_hash_sha256_BYTES);
      na.crypto_hash_sha256(out, message);
      return out;
    },
    kdfDerive(length, id, context, key) {
      let ctx = contexts.get(context);
      if (!ctx) contexts.set(context, (ctx = new TextEncoder().encode(context)));
      const out = new Uint8Array(length);
      na.crypto_kdf_derive_from_key(out, id, ctx, key);
      return out;
    },
  };
}
