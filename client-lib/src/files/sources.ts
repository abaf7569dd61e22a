import { UploadSourceChangedError, VaultError } from '../errors.ts';
import { platform } from './platform.ts';

/** What attachFile accepts: a path (Node entry point), a web stream, a Blob, bytes, or any async iterable of bytes (a Node Readable). */
export type FileSource = string | ReadableStream<Uint8Array> | Blob | Uint8Array | AsyncIterable<Uint8Array>;

export interface OpenedSource {
  stream: AsyncIterable<Uint8Array>;
  size: number | undefined;
  /**
   * No one but this source writes a piece's bytes, and it does not write them again before
   * the piece after the next is given out ([Note: reading a Blob into reused buffers]), so a
   * chunk may be a view of a piece rather than a copy, used before then. Not so for bytes or streams a caller
   * hands over: the caller may reuse or change them.
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

// [Note: a picked file that cannot be read again]
// A File the person picked is read more than once (to commit to its SHA-256, then to encrypt
// it, then again on a resume). If its file changed on disk since it was picked, or was moved
// or removed, Chromium refuses to open it again: arrayBuffer() rejects with NotReadableError,
// a stream's read with "TypeError: network error" (test/web/file-changed.test.ts). Either is
// said as UploadSourceChangedError, which the page explains as a file to pick again. What the
// browser does not catch: a file rewritten in place while a stream of it is open reads as the
// new bytes, without an error (tried on Chromium 156, 2026-12-07: a 64 MiB file rewritten
// after the first MiB of a stream, plain or BYOB, gave 180 pieces of new bytes; slices with
// arrayBuffer() check only as each slice is opened). So the browser's refusal is not a
// snapshot, and the chunk digests ([Note: a key never meets two plaintexts]) stay for Blobs.

/** A Blob that could not be read: its file changed, moved or went away since it was picked. */
function unreadable(err: unknown): never {
  throw new UploadSourceChangedError(`the file could not be read again (changed on disk, moved or removed: ${(err as { name?: string } | null)?.name ?? 'error'}); nothing from the change was encrypted`);
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
    const p = blob.slice(at, at + BLOB_SLICE).arrayBuffer().catch(unreadable);
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

// [Note: reading a Blob into reused buffers]
// Each 8 MiB slice read with arrayBuffer() is a fresh allocation, and in Chromium its first
// touch costs page faults on top of the copy: reading 256 MiB that way took 0.26–0.32 s of
// the renderer's CPU and 0.22–0.39 s of the browser process's, against 0.08 and 0.14–0.17 s
// through a BYOB reader of blob.stream() into buffers used again (docs/PERFORMANCE.md, "Web
// client"; scripts/bench-web/body-probe.ts). So a Blob is read into a ring of three 8 MiB
// buffers: a piece's buffer is read into again only from the moment the piece after the
// next is given out, and by then its chunks have been hashed and encrypted (the chunker holds back
// at most one chunk, of the piece before the current one, and every consumer uses a chunk
// before it asks for the next). A BYOB read takes its buffer away (transfers it), so a view
// of a piece still held by mistake would read as empty, never as other bytes: the chunk
// check would refuse it ([Note: a key never meets two plaintexts]). Where blob.stream() has
// no BYOB reader, the slices of blobSlices.

const RING = 3;

/** Reads until `buffer` is full or the stream ends; the piece is a view of the buffer the read gave back. */
async function readFull(reader: ReadableStreamBYOBReader, buffer: ArrayBuffer): Promise<Uint8Array> {
  let filled = 0;
  while (filled < buffer.byteLength) {
    const { done, value } = await reader.read(new Uint8Array(buffer, filled)).catch(unreadable);
    if (!value) throw new VaultError('the file could not be read to its end');
    buffer = value.buffer as ArrayBuffer;
    if (done) break;
    filled += value.byteLength;
  }
  return new Uint8Array(buffer, 0, filled);
}

async function* blobIntoRing(blob: Blob, reader: ReadableStreamBYOBReader): AsyncIterable<Uint8Array> {
  const ring = Array.from({ length: RING }, () => new ArrayBuffer(Math.min(BLOB_SLICE, Math.max(blob.size, 1))));
  const read = (i: number) => {
    const p = readFull(reader, ring[i]!);
    p.catch(() => undefined); // awaited below, unless the reader stopped first
    return p;
  };
  try {
    let next = read(0);
    for (let at = 0, i = 0; at < blob.size; at += BLOB_SLICE, i = (i + 1) % RING) {
      const piece = await next;
      ring[i] = piece.buffer as ArrayBuffer;
      if (piece.length !== Math.min(BLOB_SLICE, blob.size - at)) throw new UploadSourceChangedError('the file changed while it was read (its size)');
      if (at + BLOB_SLICE < blob.size) next = read((i + 1) % RING);
      yield piece;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** A Blob's pieces: into reused buffers where its stream has a BYOB reader, else in slices. */
function blobPieces(blob: Blob): AsyncIterable<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = blob.stream().getReader({ mode: 'byob' });
  } catch {
    return blobSlices(blob);
  }
  return blobIntoRing(blob, reader);
}

export async function openSource(source: FileSource): Promise<OpenedSource> {
  if (typeof source === 'string') {
    if (!platform.openPath) throw new VaultError('file paths need the Node entry point: import "@testimony-vault/client/node"');
    return platform.openPath(source);
  }
  if (source instanceof Uint8Array) return { stream: once(source), size: source.length };
  if (typeof Blob !== 'undefined' && source instanceof Blob) return { stream: blobPieces(source), size: source.size, ownPieces: true };
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) return { stream: fromWebStream(source), size: undefined };
  if (Symbol.asyncIterator in source) return { stream: source, size: undefined };
  throw new VaultError('unsupported file source');
}
