import { CHUNK_OVERHEAD } from '@testimony-vault/protocol';
import { ERR } from '../errors.ts';

/**
 * Splits a part into encrypted chunks of chunkSize + 17 bytes. Only the last chunk of a
 * part may be shorter (it is then the file's final chunk; completion checks that).
 */
export function splitPart(body: Buffer, chunkSize: number, partChunks: number): Buffer[] {
  const stride = chunkSize + CHUNK_OVERHEAD;
  if (body.length === 0) throw new ERR.BAD_PART('empty');
  if (body.length > stride * partChunks) throw new ERR.BAD_PART(`more than ${partChunks} chunks`);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += stride) chunks.push(body.subarray(offset, Math.min(offset + stride, body.length)));
  const last = chunks[chunks.length - 1]!;
  if (last.length < CHUNK_OVERHEAD) throw new ERR.BAD_PART('a chunk is shorter than its overhead');
  return chunks;
}

/** All chunks 0..total-1 present, all full but the last, and the byte count as declared. */
export function checkCompletion(stored: { idx: number; size: number }[], chunkSize: number, totalChunks: number, encryptedSize: number): void {
  const stride = chunkSize + CHUNK_OVERHEAD;
  if (stored.length !== totalChunks) throw new ERR.UPLOAD_INCOMPLETE(`${stored.length} chunks stored, not the number declared`);
  let bytes = 0;
  for (const [i, c] of stored.entries()) {
    if (c.idx !== i) throw new ERR.UPLOAD_INCOMPLETE(`chunk ${i} is missing`);
    if (i < totalChunks - 1 && c.size !== stride) throw new ERR.UPLOAD_INCOMPLETE(`chunk ${i} is short but not last`);
    bytes += c.size;
  }
  if (bytes !== encryptedSize) throw new ERR.UPLOAD_INCOMPLETE(`${bytes} bytes stored, not the size declared`);
}
