import { concat, u32be, u64be, utf8, uuidBytes, LABEL, KEY_BYTES, WRAPPED_COMMITTED_FILE_KEY_BYTES, MAX_CHUNK_SIZE, MAX_PART_CHUNKS, MAX_PART_PLAINTEXT, MIN_CHUNK_SIZE, STREAM_HEADER_BYTES } from '@testimony-vault/protocol';
import { open, seal } from '../crypto/aead.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { IntegrityError } from '../errors.ts';

/** Associated data of every chunk of a file: the chunks of one file cannot be spliced into another. */
export function chunkAd(fileId: string): Uint8Array {
  return concat(utf8(LABEL.fileChunk), uuidBytes(fileId));
}

function wrapAd(fileId: string, committed: boolean): Uint8Array {
  return concat(utf8(committed ? LABEL.fileKeyWrapCommitted : LABEL.fileKeyWrap), uuidBytes(fileId));
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
  /**
   * What the stream will encrypt, fixed before its first byte is: the source's size and
   * SHA-256, and its padding scheme ([Note: a key never meets two plaintexts]). Absent when
   * the source could be read only once (no commitment could be made: never resumed in place).
   */
  plaintext?: PlaintextCommitment | undefined;
}

export interface PlaintextCommitment {
  size: number;
  sha256: Uint8Array;
  /** 0: none; 1: Padmé ([Note: padded files]). */
  padding: number;
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
  const base = concat(p.key, p.header, u32be(p.chunkSize), u32be(p.partChunks));
  if (!p.plaintext) return seal(s, masterKey, base, wrapAd(fileId, false));
  const c = p.plaintext;
  return seal(s, masterKey, concat(base, u64be(c.size), c.sha256, Uint8Array.of(c.padding)), wrapAd(fileId, true));
}

/** Throws DecryptionError unless this account wrapped exactly this for this file. */
export function unwrapFileKey(s: Sodium, masterKey: Uint8Array, fileId: string, wrapped: Uint8Array): FileStreamParams {
  // The length says which of the two it claims to be; the label in the associated data makes
  // sure it was made as that one.
  const committed = wrapped.length === WRAPPED_COMMITTED_FILE_KEY_BYTES;
  const plain = open(s, masterKey, wrapped, wrapAd(fileId, committed), `file key of ${fileId}`);
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const at = KEY_BYTES + STREAM_HEADER_BYTES;
  const p: FileStreamParams = { key: plain.slice(0, KEY_BYTES), header: plain.slice(KEY_BYTES, at), chunkSize: view.getUint32(at), partChunks: view.getUint32(at + 4) };
  if (committed) {
    const size = Number(view.getBigUint64(at + 8));
    const padding = plain[at + 48]!;
    if (!Number.isSafeInteger(size) || padding > 1) throw new IntegrityError(`file ${fileId}: the wrapped key's commitment is malformed`);
    p.plaintext = { size, sha256: plain.slice(at + 16, at + 48), padding };
  }
  checkChunking(p.chunkSize, p.partChunks, `file ${fileId}`);
  return p;
}
