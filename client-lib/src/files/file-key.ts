import { concat, u32be, utf8, uuidBytes, LABEL, KEY_BYTES, MAX_CHUNK_SIZE, MAX_PART_CHUNKS, MAX_PART_PLAINTEXT, MIN_CHUNK_SIZE, STREAM_HEADER_BYTES } from '@testimony-vault/protocol';
import { open, seal } from '../crypto/aead.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { IntegrityError } from '../errors.ts';

/** Associated data of every chunk of a file: the chunks of one file cannot be spliced into another. */
export function chunkAd(fileId: string): Uint8Array {
  return concat(utf8(LABEL.fileChunk), uuidBytes(fileId));
}

function wrapAd(fileId: string): Uint8Array {
  return concat(utf8(LABEL.fileKeyWrap), uuidBytes(fileId));
}

// [Note: wrapped file keys]
// The file key and stream header are kept with the file so any of the owner's devices can
// resume an upload. They are wrapped under the owner's master key (secret-key AEAD), not
// sealed to its public key: a sealed box can be made by anyone, so a hostile server could
// substitute a key of its own and have the rest of the file (and the manifest) use it.

export interface FileStreamParams {
  key: Uint8Array;
  header: Uint8Array;
  chunkSize: number;
  partChunks: number;
}

/** Checks chunk and part sizes wherever they come from (a manifest, a wrapped key). */
export function checkChunking(chunkSize: number, partChunks: number, what: string): void {
  const ok =
    Number.isInteger(chunkSize) && chunkSize >= MIN_CHUNK_SIZE && chunkSize <= MAX_CHUNK_SIZE &&
    Number.isInteger(partChunks) && partChunks >= 1 && partChunks <= MAX_PART_CHUNKS &&
    chunkSize * partChunks <= MAX_PART_PLAINTEXT;
  if (!ok) throw new IntegrityError(`${what}: chunk size ${chunkSize} × ${partChunks} is outside the protocol's bounds`);
}

/** Key, header and chunking of a file, wrapped together: the server can change none of them. */
export function wrapFileKey(s: Sodium, masterKey: Uint8Array, fileId: string, p: FileStreamParams): Uint8Array {
  return seal(s, masterKey, concat(p.key, p.header, u32be(p.chunkSize), u32be(p.partChunks)), wrapAd(fileId));
}

/** Throws DecryptionError unless this account wrapped exactly this for this file. */
export function unwrapFileKey(s: Sodium, masterKey: Uint8Array, fileId: string, wrapped: Uint8Array): FileStreamParams {
  const plain = open(s, masterKey, wrapped, wrapAd(fileId), `file key of ${fileId}`);
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const at = KEY_BYTES + STREAM_HEADER_BYTES;
  const p = { key: plain.slice(0, KEY_BYTES), header: plain.slice(KEY_BYTES, at), chunkSize: view.getUint32(at), partChunks: view.getUint32(at + 4) };
  checkChunking(p.chunkSize, p.partChunks, `file ${fileId}`);
  return p;
}
