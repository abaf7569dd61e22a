import { VaultError } from '../errors.ts';
import { platform } from './platform.ts';

/** What attachFile accepts: a path (Node entry point), a web stream, a Blob, bytes, or any async iterable of bytes (a Node Readable). */
export type FileSource = string | ReadableStream<Uint8Array> | Blob | Uint8Array | AsyncIterable<Uint8Array>;

export interface OpenedSource {
  stream: AsyncIterable<Uint8Array>;
  size: number | undefined;
  /**
   * Every piece is a buffer of its own that nothing writes again, so a chunk may be a view of
   * it rather than a copy. Not so for bytes or streams a caller hands over: the caller may
   * reuse or change them.
   */
  ownPieces?: boolean;
}

export async function* fromWebStream(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** Large enough that a 256 MiB file is 32 reads; a multiple of any power-of-two chunk size up to it. */
const BLOB_SLICE = 8 * 1024 * 1024;

/**
 * A Blob (a browser File) read in slices, the next one already being read while this one is
 * used. Blob.stream() gives 64 KiB pieces in Chromium: 4,096 reads for 256 MiB, each to be
 * copied into a chunk; a slice is read into a buffer of its own in one go (docs/PERFORMANCE.md,
 * "Web client"). A File changed on disk fails to read, as with stream().
 */
async function* blobSlices(blob: Blob): AsyncIterable<Uint8Array> {
  const read = (at: number) => {
    const p = blob.slice(at, at + BLOB_SLICE).arrayBuffer();
    p.catch(() => undefined); // awaited below, unless the reader stopped first
    return p;
  };
  let next = read(0);
  for (let at = 0; at < blob.size; at += BLOB_SLICE) {
    const piece = await next;
    if (at + BLOB_SLICE < blob.size) next = read(at + BLOB_SLICE);
    yield new Uint8Array(piece);
  }
}

export async function openSource(source: FileSource): Promise<OpenedSource> {
  if (typeof source === 'string') {
    if (!platform.openPath) throw new VaultError('file paths need the Node entry point: import "@testimony-vault/client/node"');
    return platform.openPath(source);
  }
  if (source instanceof Uint8Array) return { stream: once(source), size: source.length };
  if (typeof Blob !== 'undefined' && source instanceof Blob) return { stream: blobSlices(source), size: source.size, ownPieces: true };
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) return { stream: fromWebStream(source), size: undefined };
  if (Symbol.asyncIterator in source) return { stream: source, size: undefined };
  throw new VaultError('unsupported file source');
}
