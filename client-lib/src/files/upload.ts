import type { Http } from '../api/http.ts';
import type { Unlocked } from '../account/session.ts';
import { concat, FILE_CHUNK_SIZE, PART_CHUNKS, fromBase64Url, toBase64Url as b64 } from '@testimony-vault/protocol';
import type { Sodium } from '../crypto/sodium.ts';
import type { RecordsClient } from '../records/client.ts';
import type { Attachment } from '../records/types.ts';
import { ApiError } from '../errors.ts';
import { chunksOf } from './chunker.ts';
import { checkChunking, chunkAd, unwrapFileKey, wrapFileKey } from './file-key.ts';
import { platform, streamEngine } from './platform.ts';
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
}

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
    const key = s.crypto_secretstream_xchacha20poly1305_keygen();
    const engine = streamEngine(s);
    const { state, header } = engine.initPush(key);
    await this.http.json('POST', `/v1/records/${encodeURIComponent(recordId)}/files`, {
      fileId,
      chunkSize,
      partChunks: PART_CHUNKS,
      header: b64(header),
      wrappedKey: b64(wrapFileKey(s, this.me().masterKey, fileId, { key, header, chunkSize, partChunks: PART_CHUNKS })),
      ...(opened.size === undefined ? {} : { size: opened.size }),
    });
    return this.push(recordId, { fileId, engine, key, header, state, chunkSize, partChunks: PART_CHUNKS, stored: new Set() }, opened, options);
  }

  // [Note: resuming a stream]
  // secretstream encryption is deterministic once the key and header are fixed, and
  // init_pull(header, key) yields the very state init_push started from. So a later
  // process rebuilds the stream from the file key and header (wrapped under the owner's
  // master key on the server, [Note: wrapped file keys]),
  // re-encrypts the same bytes locally and sends only the parts the server lacks: the
  // result is byte-identical to an upload that never stopped.
  async resume(recordId: string, fileId: string, source: FileSource, options: Omit<AttachOptions, 'fileId' | 'chunkSize'>): Promise<AttachResult> {
    const s = this.s;
    const me = this.me();
    const status = await this.http.json<UploadStatus>('GET', `/v1/files/${encodeURIComponent(fileId)}/upload`);
    // Key, header and chunking come from what this account wrapped, never from the server's say-so.
    const { key, header, chunkSize, partChunks } = unwrapFileKey(s, me.masterKey, fileId, fromBase64Url(status.wrappedKey));
    const engine = streamEngine(s);
    const state = engine.initPull(header, key);
    const stream = { fileId, engine, key, header, state, chunkSize, partChunks, stored: new Set(status.storedChunks) };
    return this.push(recordId, stream, await openSource(source), options);
  }

  private async push(recordId: string, st: Stream, opened: OpenedSource, options: AttachOptions | Omit<AttachOptions, 'fileId'>): Promise<AttachResult> {
    const s = this.s;
    const { engine } = st;
    const ad = chunkAd(st.fileId);
    const hasher = platform.sha256();
    const maxRetries = options.maxRetries ?? 8;
    let size = 0;
    let index = 0;
    let encryptedSize = 0;
    let acknowledged = 0;
    let partStart = 0;
    let partPlain = 0;
    let pending: Uint8Array[] = [];
    let inflight: Promise<void> = Promise.resolve();
    let failure: unknown;

    try {
      for await (const { chunk, last } of chunksOf(opened.stream, st.chunkSize)) {
        hasher.update(chunk);
        size += chunk.length;
        partPlain += chunk.length;
        const ct = engine.push(st.state, chunk, ad, last);
        pending.push(ct);
        encryptedSize += ct.length;
        index += 1;
        if (pending.length < st.partChunks && !last) continue;

        const part = partStart / st.partChunks;
        const body = concat(...pending);
        const [first, end, plain] = [partStart, index, partPlain];
        pending = [];
        partStart = index;
        partPlain = 0;
        // One part travels while the next is encrypted; never more than two in memory.
        await inflight;
        if (failure) break;
        const alreadyStored = Array.from({ length: end - first }, (_, i) => first + i).every((i) => st.stored.has(i));
        inflight = (alreadyStored ? Promise.resolve() : this.sendPart(st.fileId, part, body, first, end, maxRetries)).then(
          () => {
            acknowledged += plain;
            options.onProgress?.({ bytes: acknowledged, total: opened.size });
          },
          (err: unknown) => {
            failure = err;
          },
        );
      }
    } finally {
      // Whatever happened to the source, the part already on its way lands (or fails) first,
      // so a later resumeUpload finds a settled server.
      await inflight;
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
    const sha256 = hasher.hex();
    const entry: Attachment = {
      fileId: st.fileId,
      name: options.name,
      type: options.type,
      size,
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
  private async sendPart(fileId: string, part: number, body: Uint8Array, first: number, end: number, maxRetries: number): Promise<void> {
    const path = `/v1/files/${encodeURIComponent(fileId)}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.http.send(`${path}/parts/${part}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: body as Uint8Array<ArrayBuffer> });
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
