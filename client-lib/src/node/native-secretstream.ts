import type { PartBuffer, SecretStreamEngine } from '../crypto/secretstream.ts';
import { loadSodiumNative } from './sodium-native.ts';

// libsodium's secretstream through sodium-native (an optional dependency: prebuilt for the
// common platforms). [Note: file stream engines] says why and what guarantees the bytes.

/** The part of sodium-native used here (the package ships no types). */
interface SodiumNative {
  crypto_secretstream_xchacha20poly1305_STATEBYTES: number;
  crypto_secretstream_xchacha20poly1305_HEADERBYTES: number;
  crypto_secretstream_xchacha20poly1305_ABYTES: number;
  crypto_secretstream_xchacha20poly1305_TAG_MESSAGE: number;
  crypto_secretstream_xchacha20poly1305_TAG_FINAL: number;
  crypto_secretstream_xchacha20poly1305_init_push(state: Uint8Array, header: Uint8Array, key: Uint8Array): void;
  crypto_secretstream_xchacha20poly1305_init_pull(state: Uint8Array, header: Uint8Array, key: Uint8Array): void;
  crypto_secretstream_xchacha20poly1305_push(state: Uint8Array, c: Uint8Array, m: Uint8Array, ad: Uint8Array, tag: number): number;
  crypto_secretstream_xchacha20poly1305_pull(state: Uint8Array, m: Uint8Array, tag: Uint8Array, c: Uint8Array, ad: Uint8Array): number;
}

// [Note: native parts]
// The native engine seals a part's chunks one after the other straight into the part's
// body (sodium-native writes into the buffer it is given): no array per chunk, no joining
// them into a body. A body once taken is never written again until the uploader releases it
// (its request over, and nothing sending it any more: [Note: a part's body is sent to its end
// before its memory is taken again]), so it is handed to fetch as it is, with
// the next parts sealed while it travels; `ownedBodies` lets Node's partBody know these. A
// released body's memory takes a later part: an upload cycles through as many buffers as
// parts are in flight plus the one being sealed, instead of a fresh 8 MiB per part, whose
// first touch costs page faults and whose collection costs the client's garbage collector
// (docs/PERFORMANCE.md, "Files").
/** Part bodies the native engine handed out and does not write again before they are released. */
export const ownedBodies = new WeakSet<Uint8Array>();

/** The native engine, or undefined where sodium-native does not load ([loadSodiumNative]). */
export function loadNativeEngine(): SecretStreamEngine | undefined {
  const na = loadSodiumNative<SodiumNative>();
  if (!na) return undefined;
  const STATE = na.crypto_secretstream_xchacha20poly1305_STATEBYTES;
  const ABYTES = na.crypto_secretstream_xchacha20poly1305_ABYTES;
  const MESSAGE = na.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  const FINAL = na.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  // A state made by this engine, never another engine's (whose bytes would mean nothing here).
  const state = (s: unknown) => {
    if (!(s instanceof Uint8Array) || s.length !== STATE) throw new TypeError('not a secretstream state of the native engine');
    return s;
  };
  return {
    name: 'libsodium (native, sodium-native)',
    initPush(key) {
      const st = new Uint8Array(STATE);
      const header = new Uint8Array(na.crypto_secretstream_xchacha20poly1305_HEADERBYTES);
      na.crypto_secretstream_xchacha20poly1305_init_push(st, header, key);
      return { state: st, header };
    },
    initPull(header, key) {
      const st = new Uint8Array(STATE);
      na.crypto_secretstream_xchacha20poly1305_init_pull(st, header, key);
      return st;
    },
    push(s, message, ad, final) {
      const out = new Uint8Array(message.length + ABYTES);
      na.crypto_secretstream_xchacha20poly1305_push(state(s), out, message, ad, final ? FINAL : MESSAGE);
      return out;
    },
    partBuffer(s, ad, maxChunk, capacity) {
      const st = state(s);
      let out: Buffer | undefined;
      let filled = 0;
      /** Buffers whose bodies were released: memory of this upload's, taken again. */
      const free: Buffer[] = [];
      /** Each body handed out, to the buffer it is a view of. */
      const lent = new WeakMap<Uint8Array, Buffer>();
      const buffer: PartBuffer = {
        push(message, final) {
          if (message.length > maxChunk || filled + message.length + ABYTES > capacity) throw new RangeError('chunk larger than the part buffer has room for');
          out ??= free.pop() ?? Buffer.allocUnsafeSlow(capacity);
          const n = message.length + ABYTES;
          na.crypto_secretstream_xchacha20poly1305_push(st, out.subarray(filled, filled + n), message, ad, final ? FINAL : MESSAGE);
          filled += n;
          return n;
        },
        take() {
          const whole = out ?? Buffer.alloc(0);
          const body = whole.subarray(0, filled);
          out = undefined;
          filled = 0;
          ownedBodies.add(body);
          lent.set(body, whole);
          return body;
        },
        release(body) {
          const whole = lent.get(body);
          if (!whole) return;
          lent.delete(body);
          ownedBodies.delete(body);
          if (whole.length === capacity) free.push(whole);
        },
        // The plaintext never entered it: only ciphertext to let go of.
        dispose() {
          out = undefined;
          free.length = 0;
        },
      };
      return buffer;
    },
    pull(s, ciphertext, ad) {
      if (ciphertext.length < ABYTES) throw new Error('chunk too short');
      const message = new Uint8Array(ciphertext.length - ABYTES);
      const tag = new Uint8Array(1);
      na.crypto_secretstream_xchacha20poly1305_pull(state(s), message, tag, ciphertext, ad);
      return { message, final: tag[0] === FINAL };
    },
  };
}
