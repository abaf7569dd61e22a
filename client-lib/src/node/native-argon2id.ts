import type { Argon2idEngine } from '../crypto/kdf.ts';
import { loadSodiumNative } from './sodium-native.ts';

// [Note: Argon2id engines]
// Logging in and unlocking run Argon2id at the account's cost (at least 256 MiB, 3 passes).
// libsodium's WebAssembly build takes about 0.72 s for that on the project's machines and
// native libsodium about 0.41 s: the same reference code compiled natively, with its
// optimised (SSSE3/AVX2) fill. Output is bit-for-bit the same for the same input, which
// test/argon2id-engines.test.ts checks on every run, so an account made with one opens
// with the other. The browser keeps the WebAssembly build.

interface SodiumNativePwhash {
  crypto_pwhash_ALG_ARGON2ID13: number;
  crypto_pwhash(out: Uint8Array, password: Uint8Array, salt: Uint8Array, opsLimit: number, memLimit: number, algorithm: number): void;
}

/** Native Argon2id where sodium-native loads from this package's tree, else undefined. */
export function loadNativeArgon2id(): Argon2idEngine | undefined {
  const na = loadSodiumNative<SodiumNativePwhash>();
  if (!na || typeof na.crypto_pwhash !== 'function') return undefined;
  return {
    name: 'libsodium (native, sodium-native)',
    derive(outLen, password, salt, opsLimit, memLimit) {
      const out = new Uint8Array(outLen);
      na.crypto_pwhash(out, password, salt, opsLimit, memLimit, na.crypto_pwhash_ALG_ARGON2ID13);
      return out;
    },
  };
}
