import { wasmEngine, type SecretStreamEngine } from '../crypto/secretstream.ts';
import type { Sodium } from '../crypto/sodium.ts';

// What the core library asks of its platform. The defaults work everywhere; the Node entry
// point (client-lib/src/node) installs file-path access, Node's faster SHA-256 and, when it
// loads, native libsodium for the file stream ([Note: file stream engines]).

export interface Hasher {
  update(data: Uint8Array): void;
  /** Lower-case hex digest. */
  hex(): string;
}

export interface PathSource {
  stream: AsyncIterable<Uint8Array>;
  size: number;
  /** As OpenedSource.ownPieces. */
  ownPieces?: boolean;
}

export interface Platform {
  /** A native streaming SHA-256 (Node's). Without one, files are hashed as [Note: hashing files in a browser] says. */
  sha256?: (() => Hasher) | undefined;
  openPath?: (path: string) => Promise<PathSource>;
  /** Writes the stream to `path` only if it ends without error; never leaves a partial file. */
  writeFileAtomically?: (path: string, data: AsyncIterable<Uint8Array>) => Promise<void>;
  /** A faster engine for file streams than the WebAssembly one. */
  secretStream?: SecretStreamEngine | undefined;
  /** Joins a part's encrypted chunks into a request body (default: a Blob). */
  partBody?: ((pieces: Uint8Array[]) => Uint8Array) | undefined;
  /** How a part's body of bytes goes to fetch (default: as it is). */
  partRequest?: ((body: Uint8Array) => PartRequest) | undefined;
}

/** The members of a part's request that carry its body. */
export interface PartRequest {
  body: BodyInit;
  headers: Record<string, string>;
  /** Node's fetch needs it for a stream body (not yet in TypeScript's RequestInit). */
  duplex?: 'half';
}

export const platform: Platform = {};

/** The engine files are encrypted and decrypted with here. */
export function streamEngine(s: Sodium): SecretStreamEngine {
  return platform.secretStream ?? wasmEngine(s);
}

// [Note: hashing files in a browser]
// A file is hashed whole (its custody SHA-256, which the wrapped key commits to) and chunk by
// chunk (the check before each chunk is encrypted, [Note: a key never meets two
// plaintexts]). Node has native SHA-256 for both. A browser has it only in WebCrypto, one-shot,
// and Chromium computes that on the calling thread no faster than libsodium's WebAssembly
// (docs/PERFORMANCE.md, "Web client"), so a browser uses libsodium: crypto_hash_sha256 for the
// whole file (the standard hash, about 4 times as fast as @noble/hashes' JavaScript there),
// and crypto_generichash (BLAKE2b-256, twice as fast again) for the chunk digests, which
// never leave this process and are compared only with digests the same process made: they
// need collision resistance, which BLAKE2b-256 has as SHA-256 does, not any one algorithm.

/** A streaming SHA-256 of a file: the platform's native one, else libsodium's. */
export function fileSha256(s: Sodium): Hasher {
  if (platform.sha256) return platform.sha256();
  // A state in libsodium's memory, freed by final(); an abandoned one stays (104 bytes).
  const state = s.crypto_hash_sha256_init();
  return { update: (d) => s.crypto_hash_sha256_update(state, d), hex: () => s.to_hex(s.crypto_hash_sha256_final(state)) };
}

/** A collision-resistant digest (hex) of one chunk, for comparisons within this process only. */
export function chunkDigest(s: Sodium, bytes: Uint8Array): string {
  if (platform.sha256) {
    const h = platform.sha256();
    h.update(bytes);
    return h.hex();
  }
  return s.to_hex(s.crypto_generichash(32, bytes, null));
}

/**
 * The body of one part from its encrypted chunks. A Blob by default: Chromium's fetch copies
 * a byte-array body on the calling thread, blocking the worker for longer than it takes to
 * encrypt the part, while a Blob is assembled in one copy and sent from the browser's side
 * (docs/PERFORMANCE.md, "Web client"). Node installs one contiguous buffer.
 */
export function partBody(pieces: Uint8Array[]): Blob | Uint8Array {
  return platform.partBody ? platform.partBody(pieces) : new Blob(pieces as Uint8Array<ArrayBuffer>[]);
}

/** The body members of a part's request: a new one for each sending (a stream is read once). */
export function partRequest(body: Blob | Uint8Array): PartRequest {
  if (body instanceof Uint8Array && platform.partRequest) return platform.partRequest(body);
  return { body: body as Blob | Uint8Array<ArrayBuffer>, headers: {} };
}
