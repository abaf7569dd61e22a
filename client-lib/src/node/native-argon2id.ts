import type { Argon2idEngine } from '../crypto/kdf.ts';
import { loadSodiumNative } from './sodium-native.ts';

// [Note: Argon2id engines]
// Logging in and unlocking run Argon2id at the account's cost (at least 256 MiB, 3 passes).
// Issue 19 expected native libsodium (sodium-native) to do it in about 0.41 s against the
// WebAssembly build's 0.72 s. Measured here with sodium-native 5 (`npm run bench:kdf`,
// 9 runs each alternated in one run, load about 2): native 744 ms, WebAssembly 662 ms, and
// CPU time in the same proportion: the native one is about 12 % slower. Why is not
// established (one part: it maps and faults in 256 MiB afresh each call, where the
// WebAssembly memory, once grown, is reused; 45-55 ms of system time per call). So
// the Node entry point keeps WebAssembly; this engine stays, tested to give bit-for-bit the
// same keys (test/argon2id-engines.test.ts), for a build of sodium-native where it wins.

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
