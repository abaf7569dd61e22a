import type { Http } from '../api/http.ts';
import type { Unlocked } from '../account/session.ts';
import { FILE_CHUNK_SIZE, FILE_PADDING, PART_CHUNKS, fromBase64Url, padme, toBase64Url as b64 } from '@testimony-vault/protocol';
import type { Sodium } from '../crypto/sodium.ts';
import type { RecordsClient } from '../records/client.ts';
import type { Attachment } from '../records/types.ts';
import { ApiError, UploadSourceChangedError } from '../errors.ts';
import { chunksOf } from './chunker.ts';
import { checkChunking, chunkAd, unwrapFileKey, wrapFileKey, type PlaintextCommitment } from './file-key.ts';
import { partSealer } from './parts.ts';
import { chunkDigest, fileSha256, partRequest, streamEngine } from './platform.ts';
import type { SecretStreamEngine } from '../crypto/secretstream.ts';
import { backoff, retryable, sleep } from './retry.ts';
import { openSource, type FileSource, type OpenedSource } from './sources.ts';

export interface AttachOptions {
  /** Original file name, kept (encrypted) in the record's manifest. */
  name: string;
  /** Media type, e.g. "video/mp4". */
  type: string;
  /** Called after each part the server has committed. */
  onProgress?: (progress: { bytes: number; total: number | undefined }) => void;
  /** Choose the file id (to resume with resumeUpload after a crash). */
  fileId?: string;
  /** Plaintext bytes per encrypted chunk (default 1 MiB). */
  chunkSize?: number;
  /** Retries per part after a network failure or a 5xx (default 8, with backoff up to 5 s). */
  maxRetries?: number;
}

export interface AttachResult {
  fileId: string;
  size: number;
  sha256: string;
}

interface UploadStatus {
  fileId: string;
  chunkSize: number;
  partChunks: number;
  header: string;
  wrappedKey: string;
  storedChunks: number[];
  complete: boolean;
}

interface Stream {
  fileId: string;
  /** Chosen once per stream: a state only means something to the engine that made it. */
  engine: SecretStreamEngine;
  key: Uint8Array;
  header: Uint8Array;
  state: unknown;
  chunkSize: number;
  partChunks: number;
  stored: Set<number>;
  /** FILE_PADDING: the stream carries the file, then zeros up to its Padmé size ([Note: padded files]). */
  padding: number;
  /**
   * A digest of each plaintext chunk ([Note: hashing files in a browser]), read before the
   * first byte was encrypted: a chunk that differs is refused before it is encrypted. Absent
   * for a source read only once.
   */
  expected?: { chunks: string[]; size: number; sha256: string } | undefined;
}

/** A source that can be read again from its start: a path, a Blob (a browser File), bytes. */
function rereadable(source: FileSource): boolean {
  return typeof source === 'string' || source instanceof Uint8Array || (typeof Blob !== 'undefined' && source instanceof Blob);
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));

export class Uploader {
  constructor(
    private readonly s: Sodium,
    private readonly http: Http,
    private readonly me: () => Unlocked,
    private readonly records: RecordsClient,
    private readonly newId: () => string,
  ) {}

  async attach(recordId: string, source: FileSource, options: AttachOptions): Promise<AttachResult> {
    const s = this.s;
    const opened = await openSource(source);
    const fileId = options.fileId ?? this.newId();
    const chunkSize = options.chunkSize ?? FILE_CHUNK_SIZE;
    checkChunking(chunkSize, PART_CHUNKS, 'attachFile');
    // Read once before anything is encrypted, so the wrapped key commits to these bytes.
    const padding = FILE_PADDING.padme;
    const expected = rereadable(source) ? await survey(s, opened, chunkSize, padding) : undefined;
    const plaintext: PlaintextCommitment | undefined = expected && { size: expected.size, sha256: unhex(expected.sha256), padding };
    const key = s.crypto_secretstream_xchacha20poly1305_keygen();
    const engine = streamEngine(s);
    const { state, header } = engine.initPush(key);
    await this.http.json('POST', `/v1/records/${encodeURIComponent(recordId)}/files`, {
      fileId,
      chunkSize,
      partChunks: PART_CHUNKS,
      header: b64(header),
      wrappedKey: b64(wrapFileKey(s, this.me().masterKey, fileId, { key, header, chunkSize, partChunks: PART_CHUNKS, plaintext })),
      // The padded size: the exact one is nothing the server needs ([Note: padded files]).
      ...(opened.size === undefined ? {} : { size: padme(opened.size) }),
    });
    const stream = { fileId, engine, key, header, state, chunkSize, partChunks: PART_CHUNKS, stored: new Set<number>(), padding, expected };
    return this.push(recordId, stream, expected ? await openSource(source) : opened, options);
  }

  // [Note: resuming a stream]
  // secretstream encryption is deterministic once the key and header are fixed, and
  // init_pull(header, key) yields the very state init_push started from. So a later
  // process rebuilds the stream from the file key and header (wrapped under the owner's
  // master key on the server, [Note: wrapped file keys]),
  // re-encrypts the same bytes locally and sends only the parts the server lacks: the
  // result is byte-identical to an upload that never stopped.
  //
  // [Note: a key never meets two plaintexts]
  // The same determinism is a danger: a chunk encrypted twice under one key and header with
  // different bytes gives whoever holds both the XOR of the two plaintexts, and the server
  // chooses which chunks it admits to holding. So the same key is only ever used again on
  // the same bytes. Before the first chunk is encrypted, attach reads the whole source once
  // and the wrapped key commits to its size and SHA-256 (the server stores it but cannot open
  // or change it); every later pass (the first attempt's own, and any resume) digests each
  // chunk and compares it with that first reading before encrypting it. A resume first reads
  // the whole source and refuses (UploadSourceChangedError) unless size and SHA-256 are the
  // committed ones, before it encrypts anything. A source that can be read only once (a
  // stream) cannot be surveyed first: its upload commits to nothing, and a resume of it
  // starts again under a new key (abandoning what the server holds) instead of continuing.
  async resume(recordId: string, fileId: string, source: FileSource, options: Omit<AttachOptions, 'fileId' | 'chunkSize'>): Promise<AttachResult> {
    const s = this.s;
    const me = this.me();
    const status = await this.http.json<UploadStatus>('GET', `/v1/files/${encodeURIComponent(fileId)}/upload`);
    // Key, header, chunking and commitment come from what this account wrapped, never from the server's say-so.
    const { key, header, chunkSize, partChunks, plaintext } = unwrapFileKey(s, me.masterKey, fileId, fromBase64Url(status.wrappedKey));
    if (!plaintext) {
      s.memzero(key);
      await this.http.json('DELETE', `/v1/files/${encodeURIComponent(fileId)}`).catch((err: unknown) => {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      });
      return this.attach(recordId, source, { ...options, fileId, chunkSize });
    }
    if (!rereadable(source)) throw new UploadSourceChangedError(`file ${fileId}: a resumed upload needs a source that can be read twice (a path, a Blob or bytes)`);
    const expected = await survey(s, await openSource(source), chunkSize, plaintext.padding);
    if (expected.size !== plaintext.size || expected.sha256 !== hex(plaintext.sha256)) {
      s.memzero(key);
      throw new UploadSourceChangedError(`file ${fileId}: these are not the bytes this upload started with (size or SHA-256 differs); nothing was sent`);
    }
    const engine = streamEngine(s);
    const state = engine.initPull(header, key);
    const stream = { fileId, engine, key, header, state, chunkSize, partChunks, stored: new Set(status.storedChunks), padding: plaintext.padding, expected };
    return this.push(recordId, stream, await openSource(source), options);
  }

  private async push(recordId: string, st: Stream, opened: OpenedSource, options: AttachOptions | Omit<AttachOptions, 'fileId'>): Promise<AttachResult> {
    const s = this.s;
    const { engine } = st;
    const ad = chunkAd(st.fileId);
    const hasher = fileSha256(s);
    const maxRetries = options.maxRetries ?? 8;
    let size = 0; // the file's own bytes
    let streamed = 0; // with the padding
    let index = 0;
    let encryptedSize = 0;
    let acknowledged = 0;
    let partStart = 0;
    let partPlain = 0;
    const sealer = partSealer(engine, st.state, ad, st.chunkSize, st.partChunks);
    const inflight: Promise<void>[] = [];
    let failure: unknown;

    try {
      const source = padded(opened.stream, st.padding, (piece) => {
        size += piece.length;
        if (!st.expected) hasher.update(piece);
      });
      const chunks = chunksOf(source, st.chunkSize, opened.ownPieces, true);
      for await (const { chunk, last } of st.expected ? checked(s, chunks, st.expected, st.fileId) : chunks) {
        streamed += chunk.length;
        partPlain += chunk.length;
        encryptedSize += sealer.push(chunk, last);
        index += 1;
        if (index - partStart < st.partChunks && !last) continue;

        const part = partStart / st.partChunks;
        const body = sealer.body();
        const [first, end, plain] = [partStart, index, partPlain];
        partStart = index;
        partPlain = 0;
        // [Note: parts in flight]
        // Two parts travel while the next is encrypted (never more than three in memory): the
        // server stores one while the other's body arrives, instead of waiting for each body
        // in turn. It stores them one at a time (the file's row is locked), in any order.
        while (inflight.length >= PARTS_IN_FLIGHT) await inflight.shift();
        if (failure) break;
        const alreadyStored = Array.from({ length: end - first }, (_, i) => first + i).every((i) => st.stored.has(i));
        inflight.push((alreadyStored ? Promise.resolve() : this.sendPart(st.fileId, part, body, first, end, maxRetries)).then(
          () => {
            acknowledged += plain;
            // Padding is not the file's: progress never passes its size.
            options.onProgress?.({ bytes: Math.min(acknowledged, size), total: opened.size });
          },
          (err: unknown) => {
            failure ??= err;
          },
        ).finally(() => sealer.release(body)));
      }
    } finally {
      // Whatever happened to the source, the parts already on their way land (or fail) first,
      // so a later resumeUpload finds a settled server. (Their handlers never reject.)
      await Promise.all(inflight);
      sealer.dispose();
    }
    if (failure) {
      // Refused for size or quota: it can never complete, so it should not hold quota
      // until it expires. Other failures keep what was stored, for resumeUpload.
      if (failure instanceof ApiError && failure.status === 413) {
        await this.http.json('DELETE', `/v1/files/${encodeURIComponent(st.fileId)}`).catch(() => {});
      }
      throw failure;
    }

    await this.http.json('POST', `/v1/files/${encodeURIComponent(st.fileId)}/complete`, { totalChunks: index, encryptedSize });
    const sha256 = st.expected?.sha256 ?? hasher.hex();
    const entry: Attachment = {
      fileId: st.fileId,
      name: options.name,
      type: options.type,
      size,
      ...(st.padding === FILE_PADDING.padme ? { paddedSize: streamed } : {}),
      sha256,
      key: b64(st.key),
      header: b64(st.header),
      chunkSize: st.chunkSize,
      chunks: index,
      uploadedAt: new Date().toISOString(),
    };
    await this.records.addAttachment(recordId, entry);
    s.memzero(st.key);
    return { fileId: st.fileId, size, sha256 };
  }

  /** PUT a part; on a dropped connection or a 5xx, ask whether it was committed, else send again. */
  private async sendPart(fileId: string, part: number, body: Blob | Uint8Array, first: number, end: number, maxRetries: number): Promise<void> {
    const path = `/v1/files/${encodeURIComponent(fileId)}`;
    for (let attempt = 0; ; attempt++) {
      try {
        // [Note: a part's request is not cloned] The Fetch standard clones a request, its body
        // teed, unless it has no window and refuses redirects; Node's fetch (undici) does so,
        // copying every 8 MiB part once more (0.57-0.68 -> 0.48-0.58 client CPU-s per 128 MiB
        // without the clone: scripts/bench-files-download-cpu.ts, modes up and up-noclone). A
        // part is never redirected: an answer that redirects it fails as the network would.
        const res = await this.http.send(`${path}/parts/${part}`, () => {
          const sent = partRequest(body);
          return { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...sent.headers }, body: sent.body, ...(sent.duplex ? { duplex: sent.duplex } : {}), redirect: 'error', window: null };
        });
        // [Note: a part's body is sent to its end before its memory is taken again]
        // fetch resolves when the answer's headers arrive, which a server may send before it
        // has read the body: Node would still be sending it, from the body's own memory (over
        // plain HTTP a socket write is not copied), while the native engine seals a later part
        // into it once released ([Note: native parts]): the server would store another part's
        // ciphertext, found only on download (test/files-early-answer.test.ts). So the answer
        // is read to its end first (a few bytes; at most ANSWER_LIMIT, then dropped): a server
        // that ends its answer has read the body, and one whose answer ended before the body
        // was sent has its connection reset by undici, so either way nothing sends the body
        // any more when the uploader releases it.
        await readAnswer(res);
        return;
      } catch (err) {
        if (!retryable(err) || attempt >= maxRetries) throw err;
        await sleep(backoff(attempt));
        try {
          const status = await this.http.json<UploadStatus>('GET', `${path}/upload`);
          const held = new Set(status.storedChunks);
          if (Array.from({ length: end - first }, (_, i) => first + i).every((i) => held.has(i))) return;
        } catch {
          // still unreachable: try sending again
        }
      }
    }
  }
}

const PARTS_IN_FLIGHT = 2;

/** More than any answer to a part; past it the answer is dropped (its connection closed). */
const ANSWER_LIMIT = 64 * 1024;

/** Reads an answer's body to its end, or drops it past ANSWER_LIMIT or on an error. */
async function readAnswer(res: Response): Promise<void> {
  const reader = res.body?.getReader();
  if (!reader) return;
  try {
    for (let read = 0; read <= ANSWER_LIMIT; ) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.length;
    }
  } catch {
    // a broken answer: dropped below
  }
  await reader.cancel().catch(() => undefined);
}

/** Reads a source once: its size, SHA-256 and a digest of each chunk it will be cut into. */
async function survey(s: Sodium, opened: OpenedSource, chunkSize: number, padding: number): Promise<{ chunks: string[]; size: number; sha256: string }> {
  const whole = fileSha256(s);
  const chunks: string[] = [];
  let size = 0;
  const source = padded(opened.stream, padding, (piece) => {
    whole.update(piece);
    size += piece.length;
  });
  for await (const { chunk } of chunksOf(source, chunkSize, opened.ownPieces, true)) chunks.push(chunkDigest(s, chunk));
  return { chunks, size, sha256: whole.hex() };
}

/**
 * The chunks of a source read again, each given out only once its digest matched the survey
 * ([Note: a key never meets two plaintexts]): nothing differing is ever encrypted.
 */
async function* checked(s: Sodium, chunks: AsyncIterable<{ chunk: Uint8Array; last: boolean }>, expected: { chunks: string[] }, fileId: string): AsyncIterable<{ chunk: Uint8Array; last: boolean }> {
  let index = 0;
  for await (const { chunk, last } of chunks) {
    if (chunkDigest(s, chunk) !== expected.chunks[index] || last !== (index === expected.chunks.length - 1)) {
      throw new UploadSourceChangedError(`file ${fileId}: the source changed while it was read (chunk ${index}); nothing from it was encrypted`);
    }
    index += 1;
    yield { chunk, last };
  }
}

const ZEROS = new Uint8Array(1024 * 1024);

/**
 * The source's bytes, each shown to `seen` (size and custody hash count only these), then for
 * Padmé zeros up to the padded size, a mebibyte at a time ([Note: padded files]).
 */
async function* padded(source: AsyncIterable<Uint8Array>, padding: number, seen: (piece: Uint8Array) => void): AsyncIterable<Uint8Array> {
  let n = 0;
  for await (const piece of source) {
    seen(piece);
    n += piece.length;
    yield piece;
  }
  if (padding !== FILE_PADDING.padme) return;
  for (let left = padme(n) - n; left > 0; left -= ZEROS.length) yield left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left);
}
