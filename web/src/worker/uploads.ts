// [Note: uploads that survive a dropped connection]
// The library retries a part a few times (about 1.5 s here). Beyond that, the worker
// keeps the File (a snapshot the browser holds, not a copy in memory) and the file id, waits
// for the server to answer again, and calls resumeUpload, which sends only the parts the
// server lacks, under the same key and header. What is re-encrypted is what was encrypted
// before: the resume reads the File whole and compares its SHA-256 with the committed one,
// then each chunk's digest, before encrypting ([Note: a key never meets two plaintexts]); a
// File changed on disk usually fails to read at all ([Note: a picked file that cannot be read
// again]), but not always, so those checks are what holds. Nothing here is stored: a closed tab ends the upload, and the
// server deletes an upload left incomplete after UPLOAD_TTL_SECONDS.
import { ApiError, NetworkError, type AttachResult, type Vault } from '@testimony-vault/client';
import type { UploadProgress } from './types.ts';

export type ProgressListener = (p: UploadProgress) => void;

const retryable = (err: unknown) => err instanceof NetworkError || (err instanceof ApiError && (err.status >= 500 || err.status === 429));

/** Waits until the server answers /ready, checking every 1–10 s. */
async function serverBack(origin: string, cancelled: () => boolean): Promise<void> {
  for (let wait = 1000; !cancelled(); wait = Math.min(wait * 2, 10_000)) {
    try {
      const res = await fetch(`${origin}/ready`, { cache: 'no-store' });
      if (res.ok) return;
    } catch {
      // still away
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}

export class Uploads {
  private readonly cancelled = new Set<string>();

  constructor(private readonly vault: () => Vault) {}

  cancel(uploadId: string): void {
    this.cancelled.add(uploadId);
  }

  async attach(recordId: string, uploadId: string, file: File, listener: ProgressListener): Promise<AttachResult> {
    const fileId = crypto.randomUUID();
    const options = {
      // A few quick retries of a part (under 2 s), then this loop takes over and the page
      // shows the file as waiting for the connection, instead of a silent 20 s of retries.
      maxRetries: 3,
      name: file.name,
      type: file.type || 'application/octet-stream',
      onProgress: ({ bytes }: { bytes: number }) => listener({ phase: 'uploading', bytes, total: file.size }),
    };
    let created = false;
    for (;;) {
      if (this.cancelled.has(uploadId)) throw new UploadCancelled();
      try {
        listener({ phase: 'uploading', bytes: 0, total: file.size });
        return created
          ? await this.vault().resumeUpload(recordId, fileId, file, options)
          : await this.vault().attachFile(recordId, file, { ...options, fileId });
      } catch (err) {
        // The server never registered the upload (the first request was lost): start it again.
        if (err instanceof ApiError && err.status === 404 && created) {
          created = false;
          continue;
        }
        if (!retryable(err)) throw err;
        created = true;
        listener({ phase: 'waiting', bytes: 0, total: file.size });
        await serverBack(self.location.origin, () => this.cancelled.has(uploadId));
      }
    }
  }
}

export class UploadCancelled extends Error {
  readonly code = 'VAULT_ERR_UPLOAD_CANCELLED';
  override name = 'UploadCancelled';
}
