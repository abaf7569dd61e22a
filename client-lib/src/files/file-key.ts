import { concat, equalBytes, utf8, uuidBytes } from '../protocol/bytes.ts';
import { LABEL } from '../protocol/labels.ts';
import { KEY_BYTES } from '../protocol/limits.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { DecryptionError } from '../errors.ts';

/** Associated data of every chunk of a file: the chunks of one file cannot be spliced into another. */
export function chunkAd(fileId: string): Uint8Array {
  return concat(utf8(LABEL.fileChunk), uuidBytes(fileId));
}

function context(fileId: string): Uint8Array {
  return concat(utf8(LABEL.fileKeySeal), uuidBytes(fileId));
}

/** The file key sealed to the owner while an upload is open, so any of its devices can resume. */
export function sealFileKey(s: Sodium, key: Uint8Array, fileId: string, ownerBoxPk: Uint8Array): Uint8Array {
  return s.crypto_box_seal(concat(context(fileId), key), ownerBoxPk);
}

export function openFileKey(s: Sodium, sealed: Uint8Array, fileId: string, boxPk: Uint8Array, boxSk: Uint8Array): Uint8Array {
  let plain: Uint8Array;
  try {
    plain = s.crypto_box_seal_open(sealed, boxPk, boxSk);
  } catch {
    throw new DecryptionError(`file key of ${fileId} cannot be opened with this account's key`);
  }
  const ctx = context(fileId);
  if (plain.length !== ctx.length + KEY_BYTES || !equalBytes(plain.subarray(0, ctx.length), ctx)) {
    throw new DecryptionError(`file key of ${fileId} was made for another file`);
  }
  return plain.slice(ctx.length);
}
