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
  /**
   * Optional: a buffer the chunks of a part are encrypted into, one after another, for an
   * engine whose push() must copy each ciphertext out of its own memory ([Note: parts
   * encrypted in place]). Same construction, same bytes as push().
   */
  partBuffer?(state: unknown, ad: Uint8Array, maxChunk: number, capacity: number): PartBuffer;
}

export interface PartBuffer {
  /** Encrypts the next chunk after the ones already in the buffer; returns its ciphertext's length. */
  push(message: Uint8Array, final: boolean): number;
  /** What was pushed since the last take(), as a view that the next push() overwrites: copy it at once. */
  take(): Uint8Array;
  /** Zeroes the plaintext it held and frees it. */
  dispose(): void;
  /**
   * Optional, for an engine whose take() hands out a body it never writes again: that body's
   * request is over (its answer dropped, or failed for good), so nothing sends it any more and
   * its memory may take a later part ([Note: native parts]).
   */
  release?(body: Uint8Array): void;
}

/** The few members of libsodium's Emscripten module that partBuffer uses (libsodium-wrappers ships no types for them). */
interface SodiumModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(address: number): void;
  /** (state, c, clen_p, m, mlen low and high words, ad, adlen low and high words, tag): 0 on success. */
  _crypto_secretstream_xchacha20poly1305_push(...args: number[]): number;
}

// [Note: parts encrypted in place]
// The wrapper's push() copies each message into libsodium's WebAssembly memory, encrypts it
// there into a fresh allocation, and copies the ciphertext out into a new array; the upload
// then copies a part's eight arrays once more into its request body. In Chromium the
// allocation of those fresh megabyte arrays cost more than the encryption (docs/PERFORMANCE.md,
// "Web client"). So an upload allocates once, in that memory, a chunk's room for the plaintext
// and a part's room for the ciphertext, and calls the same libsodium function the wrapper
// calls, with the same arguments, chunk after chunk into the part's room: the body is made
// from it with one copy. HEAPU8 is read anew at each use, because the memory can grow (and
// its array be replaced) whenever anything else allocates.

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
    partBuffer: (state, ad, maxChunk, capacity) => wasmPartBuffer(s, own(state), ad, maxChunk, capacity),
  };
}

function wasmPartBuffer(s: Sodium, state: number, ad: Uint8Array, maxChunk: number, capacity: number): PartBuffer {
  const m = (s as unknown as { libsodium: SodiumModule }).libsodium;
  const ABYTES = s.crypto_secretstream_xchacha20poly1305_ABYTES;
  const tags = { message: s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE, final: s.crypto_secretstream_xchacha20poly1305_TAG_FINAL };
  const plain = m._malloc(Math.max(maxChunk, 1));
  const sealed = m._malloc(capacity);
  const adAt = m._malloc(Math.max(ad.length, 1));
  if (!plain || !sealed || !adAt) {
    for (const a of [plain, sealed, adAt]) if (a) m._free(a);
    throw new RangeError('out of WebAssembly memory for a part');
  }
  m.HEAPU8.set(ad, adAt);
  let filled = 0;
  return {
    push(message, final) {
      if (message.length > maxChunk || filled + message.length + ABYTES > capacity) throw new RangeError('chunk larger than the part buffer has room for');
      m.HEAPU8.set(message, plain);
      const failed = m._crypto_secretstream_xchacha20poly1305_push(state, sealed + filled, 0, plain, message.length, 0, adAt, ad.length, 0, final ? tags.final : tags.message);
      if (failed !== 0) throw new Error('secretstream push failed');
      filled += message.length + ABYTES;
      return message.length + ABYTES;
    },
    take() {
      const part = m.HEAPU8.subarray(sealed, sealed + filled);
      filled = 0;
      return part;
    },
    dispose() {
      m.HEAPU8.fill(0, plain, plain + maxChunk);
      for (const a of [plain, sealed, adAt]) m._free(a);
    },
  };
}
