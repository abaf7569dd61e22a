import { CHUNK_OVERHEAD } from '@testimony-vault/protocol';
import type { SecretStreamEngine } from '../crypto/secretstream.ts';
import { partBody } from './platform.ts';

/** Encrypts a file's chunks in order and hands them out a part at a time, as request bodies. */
export interface PartSealer {
  /** Encrypts the next chunk into the current part; returns its ciphertext's length. */
  push(chunk: Uint8Array, final: boolean): number;
  /** The current part's body; the next push starts a new part. */
  body(): Blob | Uint8Array;
  /** Frees what the engine held for it; call once the upload is over, however it ended. */
  dispose(): void;
  /** A body's request is over (answered and the answer dropped, or failed for good), so nothing sends it any more: the engine may use its memory again. */
  release(body: Blob | Uint8Array): void;
}

/** In the engine's own memory where it offers a part buffer ([Note: parts encrypted in place]), else chunk by chunk. */
export function partSealer(engine: SecretStreamEngine, state: unknown, ad: Uint8Array, chunkSize: number, partChunks: number): PartSealer {
  const buffer = engine.partBuffer?.(state, ad, chunkSize, partChunks * (chunkSize + CHUNK_OVERHEAD));
  if (buffer) {
    return {
      push: (chunk, final) => buffer.push(chunk, final),
      body: () => partBody([buffer.take()]),
      dispose: () => buffer.dispose(),
      release: (body) => {
        if (body instanceof Uint8Array) buffer.release?.(body);
      },
    };
  }
  let pieces: Uint8Array[] = [];
  return {
    push(chunk, final) {
      const ct = engine.push(state, chunk, ad, final);
      pieces.push(ct);
      return ct.length;
    },
    body() {
      const body = partBody(pieces);
      pieces = [];
      return body;
    },
    dispose: () => undefined,
    release: () => undefined,
  };
}
