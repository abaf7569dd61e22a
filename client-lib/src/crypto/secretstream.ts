import type { Sodium } from './sodium.ts';

// [Note: file stream engines]
// Every file is encrypted with crypto_secretstream_xchacha20poly1305. Two engines compute
// it: libsodium compiled to WebAssembly (libsodium-wrappers-sumo, everywhere) and, in Node,
// libsodium itself through sodium-native when that optional package loads (several times
// faster on the project's machines: docs/PERFORMANCE.md, "Files"). They are the same library
// running the same construction, so the bytes are the same; test/secretstream-engines.test.ts
// checks that each engine opens what the other sealed, and the hostile-server tests run on
// both. Only this bulk cipher has two engines: every other primitive stays on the one
// libsodium instance of crypto/sodium.ts.

export interface SecretStreamEngine {
  readonly name: string;
  /** A fresh stream: its push state and the random header. */
  initPush(key: Uint8Array): { state: unknown; header: Uint8Array };
  /** The state a header and key give; it also continues pushing ([Note: resuming a stream]). */
  initPull(header: Uint8Array, key: Uint8Array): unknown;
  push(state: unknown, message: Uint8Array, ad: Uint8Array, final: boolean): Uint8Array;
  /** Opens the next chunk; throws if it does not authenticate (wrong key, data, order or ad). */
  pull(state: unknown, ciphertext: Uint8Array, ad: Uint8Array): { message: Uint8Array; final: boolean };
}

export function wasmEngine(s: Sodium): SecretStreamEngine {
  const MESSAGE = s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  const FINAL = s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  // This build's state is an address in its WebAssembly memory. Anything else (say, another
  // engine's state) would be read as address 0: an all-zero state, a known key. Refuse it.
  const own = (state: unknown) => {
    if (typeof state !== 'number' || !Number.isInteger(state) || state <= 0) throw new TypeError('not a secretstream state of the WebAssembly engine');
    return state as never;
  };
  return {
    name: 'libsodium (WebAssembly)',
    initPush: (key) => s.crypto_secretstream_xchacha20poly1305_init_push(key),
    initPull: (header, key) => s.crypto_secretstream_xchacha20poly1305_init_pull(header, key),
    push: (state, message, ad, final) => s.crypto_secretstream_xchacha20poly1305_push(own(state), message, ad, final ? FINAL : MESSAGE),
    pull(state, ciphertext, ad) {
      const res = s.crypto_secretstream_xchacha20poly1305_pull(own(state), ciphertext, ad) as { message: Uint8Array; tag: number } | false;
      if (!res) throw new Error('chunk does not authenticate');
      return { message: res.message, final: res.tag === FINAL };
    },
  };
}
