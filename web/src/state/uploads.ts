// Evidence uploads as the page tracks them: one queue per page, files sent one after the
// other (each one adds a version to its record), each with its own state and progress.
// The File objects stay here until done, so a failed file can be sent again as it was.
import { signal } from '@preact/signals';
import { proxy, type VaultClient } from '../vault-client.ts';
import type { UploadProgress } from '../worker/types.ts';

export type UploadState = 'queued' | 'uploading' | 'waiting' | 'done' | 'failed' | 'cancelled';

export interface UploadItem {
  id: string;
  recordId: string;
  name: string;
  size: number;
  state: UploadState;
  bytes: number;
  /** Bytes per second over the last few seconds; 0 until known. */
  rate: number;
  error?: unknown;
  sha256?: string;
}

interface Sample {
  at: number;
  bytes: number;
}

export function createUploads(client: VaultClient) {
  const items = signal<UploadItem[]>([]);
  const files = new Map<string, File>();
  const samples = new Map<string, Sample[]>();
  let running = false;
  /** Bumped by clear() (a lock): a queue run of an earlier generation stops at once. */
  let generation = 0;
  /** When a part was last committed by the server (performance.now()), for the idle lock. */
  let lastProgressAt = -Infinity;
  /** Called when a file lands, so the record on screen can be read again. */
  const listeners = new Set<(recordId: string) => void>();

  const patch = (id: string, change: Partial<UploadItem>) => {
    items.value = items.value.map((u) => (u.id === id ? { ...u, ...change } : u));
  };

  function progress(id: string, p: UploadProgress) {
    const now = performance.now();
    if (p.phase === 'uploading' && p.bytes > (items.value.find((u) => u.id === id)?.bytes ?? 0)) lastProgressAt = now;
    const list = (samples.get(id) ?? []).filter((s) => now - s.at < 5000);
    list.push({ at: now, bytes: p.bytes });
    samples.set(id, list);
    const first = list[0]!;
    const rate = now - first.at > 500 ? ((p.bytes - first.bytes) * 1000) / (now - first.at) : 0;
    patch(id, { state: p.phase === 'waiting' ? 'waiting' : 'uploading', bytes: p.bytes, rate: p.phase === 'waiting' ? 0 : rate });
  }

  async function run() {
    if (running) return;
    running = true;
    const mine = generation;
    try {
      for (let next = items.value.find((u) => u.state === 'queued'); next && mine === generation; next = items.value.find((u) => u.state === 'queued')) {
        const item = next;
        const file = files.get(item.id)!;
        patch(item.id, { state: 'uploading', bytes: 0, rate: 0 });
        try {
          const done = await client.api.attach(item.recordId, item.id, file, proxy((p: UploadProgress) => mine === generation && progress(item.id, p)));
          patch(item.id, { state: 'done', bytes: item.size, sha256: done.sha256 });
          files.delete(item.id);
          for (const l of listeners) l(item.recordId);
        } catch (error) {
          const cancelled = (error as { failure?: { code?: string } }).failure?.code === 'VAULT_ERR_UPLOAD_CANCELLED';
          patch(item.id, cancelled ? { state: 'cancelled' } : { state: 'failed', error });
        }
      }
    } finally {
      if (mine === generation) running = false;
    }
  }

  return {
    items,
    /**
     * When the server last committed a part of any file: the idle lock counts that as
     * activity, so it does not cut a file that is moving. A file waiting for the connection
     * or in the queue does not count: an unattended laptop whose uploads are stuck locks.
     */
    lastProgress: () => lastProgressAt,
    add(recordId: string, picked: Iterable<File>) {
      const added: UploadItem[] = [];
      for (const file of picked) {
        const id = crypto.randomUUID();
        files.set(id, file);
        added.push({ id, recordId, name: file.name, size: file.size, state: 'queued', bytes: 0, rate: 0 });
      }
      items.value = [...items.value, ...added];
      void run();
    },
    retry(id: string) {
      patch(id, { state: 'queued', bytes: 0, rate: 0, error: undefined });
      void run();
    },
    cancel(id: string) {
      const item = items.value.find((u) => u.id === id);
      if (item?.state === 'queued') patch(id, { state: 'cancelled' });
      else void client.api.cancelUpload(id);
    },
    onLanded(listener: (recordId: string) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear() {
      generation += 1;
      running = false;
      lastProgressAt = -Infinity;
      items.value = [];
      files.clear();
      samples.clear();
    },
  };
}
