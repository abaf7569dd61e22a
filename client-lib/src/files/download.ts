import type { Http } from '../api/http.ts';
import { CHUNK_OVERHEAD, fromBase64Url } from '@testimony-vault/protocol';
import type { Sodium } from '../crypto/sodium.ts';
import { DecryptionError, IntegrityError, NetworkError } from '../errors.ts';
import type { Attachment } from '../records/types.ts';
import { checkChunking, chunkAd } from './file-key.ts';
import { fileSha256, streamEngine } from './platform.ts';
import { backoff, retryable, sleep } from './retry.ts';

/** Collects pieces of a byte stream and hands out runs of exactly n bytes. */
class ByteQueue {
  private pieces: Uint8Array[] = [];
  length = 0;
  push(piece: Uint8Array) {
    this.pieces.push(piece);
    this.length += piece.length;
  }
  /**
   * The next n bytes: a view of the first piece when it holds them all, else copied into
   * `room` (at least n long), which the next take() overwrites: read the result at once.
   */
  take(n: number, room: Uint8Array): Uint8Array {
    const head = this.pieces[0];
    if (head && head.length >= n) {
      if (head.length === n) this.pieces.shift();
      else this.pieces[0] = head.subarray(n);
      this.length -= n;
      return head.subarray(0, n);
    }
    const out = room.subarray(0, n);
    let filled = 0;
    while (filled < n) {
      const head = this.pieces[0]!;
      const k = Math.min(n - filled, head.length);
      out.set(head.subarray(0, k), filled);
      filled += k;
      if (k === head.length) this.pieces.shift();
      else this.pieces[0] = head.subarray(k);
    }
    this.length -= n;
    return out;
  }
}

/**
 * The plaintext of a file, verified as it goes: every chunk authenticates under the file
 * key with the file's associated data, in order (secretstream's counter); the stream must
 * end exactly at the chunk tagged final; the chunk count, size and SHA-256 must match the
 * signed manifest. A dropped connection resumes with a chunk-aligned Range request.
 */
export interface DownloadOptions {
  maxRetries?: number;
  /** A response that sends nothing for this long is abandoned and resumed (default 60 s). */
  idleTimeoutMs?: number;
}

export async function* decryptFile(s: Sodium, http: Http, att: Attachment, options: DownloadOptions = {}): AsyncGenerator<Uint8Array> {
  const maxRetries = options.maxRetries ?? 8;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  checkChunking(att.chunkSize, 1, `file ${att.fileId}`);
  const engine = streamEngine(s);
  let state: unknown;
  try {
    state = engine.initPull(fromBase64Url(att.header), fromBase64Url(att.key));
  } catch {
    throw new DecryptionError(`file ${att.fileId}: the manifest's file key or header is malformed`);
  }
  const ad = chunkAd(att.fileId);
  const stride = att.chunkSize + CHUNK_OVERHEAD;
  const hasher = fileSha256(s);
  // Each chunk's ciphertext is gathered here, decrypted at once into a new array, then left:
  // one buffer for the whole download, not one per chunk.
  const room = new Uint8Array(stride);
  // [Note: padded files]: the stream carries `paddedSize` bytes, the file's `size` then zeros.
  const streamSize = att.paddedSize ?? att.size;
  if (!Number.isSafeInteger(streamSize) || streamSize < att.size) throw new IntegrityError(`file ${att.fileId}: the manifest's padded size is smaller than its size`);
  let done = 0; // chunks decrypted
  let size = 0; // stream bytes, padding included
  let finalSeen = false;
  let attempt = 0;

  const open = (ct: Uint8Array) => {
    if (finalSeen) throw new IntegrityError(`file ${att.fileId}: data after the final chunk`);
    let res: { message: Uint8Array; final: boolean };
    try {
      res = engine.pull(state, ct, ad);
    } catch {
      throw new DecryptionError(`file ${att.fileId}: chunk ${done} does not authenticate`);
    }
    done += 1;
    const start = size;
    size += res.message.length;
    if (res.final) finalSeen = true;
    // Bytes past the file's size are padding: authenticated like the rest, must be zeros, never handed out.
    const own = res.message.subarray(0, Math.max(0, Math.min(res.message.length, att.size - start)));
    if (res.message.subarray(own.length).some((b) => b !== 0)) throw new IntegrityError(`file ${att.fileId}: padding that is not zeros in chunk ${done - 1}`);
    if (size > streamSize) throw new IntegrityError(`file ${att.fileId}: more bytes than the manifest says`);
    hasher.update(own);
    return own;
  };

  while (!finalSeen) {
    const queue = new ByteQueue();
    let reader: ReadableStreamDefaultReader<Uint8Array>;
    // A server that stops sending is treated like a dropped connection: abort, resume.
    const abort = new AbortController();
    let idle: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(new NetworkError(`file ${att.fileId}: no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    };
    touch();
    try {
      const headers: Record<string, string> = done > 0 ? { range: `bytes=${done * stride}-` } : {};
      const res = await http.send(`/v1/files/${encodeURIComponent(att.fileId)}`, { method: 'GET', headers, signal: abort.signal });
      if (!res.body) throw new IntegrityError(`file ${att.fileId}: empty response`);
      reader = res.body.getReader();
    } catch (err) {
      clearTimeout(idle);
      if (!retryable(asNetwork(err)) || attempt++ >= maxRetries) throw err;
      await sleep(backoff(attempt));
      continue;
    }
    try {
      for (;;) {
        touch();
        const { done: ended, value } = await reader.read();
        if (ended) break;
        queue.push(value);
        while (queue.length >= stride) yield open(queue.take(stride, room));
      }
    } catch (err) {
      if (err instanceof IntegrityError || !retryable(asNetwork(err)) || attempt++ >= maxRetries) throw err;
      await sleep(backoff(attempt));
      continue; // resume from chunk `done`; a partial chunk in the queue is fetched again
    } finally {
      clearTimeout(idle);
    }
    if (queue.length > 0) yield open(queue.take(queue.length, room));
    if (!finalSeen) throw new IntegrityError(`file ${att.fileId}: truncated, no final chunk after ${done} chunks`);
  }
  if (done !== att.chunks || size !== streamSize) {
    throw new IntegrityError(`file ${att.fileId}: ${done} chunks and ${size} bytes, manifest says ${att.chunks} and ${streamSize}`);
  }
  if (hasher.hex() !== att.sha256) throw new IntegrityError(`file ${att.fileId}: SHA-256 differs from the one recorded at intake`);
}

// A body stream that breaks mid-way rejects with a TypeError from fetch: treat it as network.
function asNetwork(err: unknown): unknown {
  const name = (err as Error)?.name;
  return err instanceof TypeError || name === 'AbortError' || name === 'TimeoutError' ? new NetworkError((err as Error).message) : err;
}
