import { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ChunkStore } from './store.ts';

// [Note: download slots]
// A download reads its chunks a batch at a time (one COPY per batch, [Note: binary chunk
// reads]) and sends them while the next batch is read. The socket's reads of a batch were
// once handed out as they came; but a batch is held for as long as it takes to send, long
// enough for those many small buffers to outlive the young generation, and the garbage
// collector then freed them only in full collections, which V8 starts for every 64 MiB of
// such memory: about 40 % of the server's busy time moving files, and up to 64 MiB of freed
// file bytes still resident (docs/PERFORMANCE.md, "Files"). So each download has two slots
// of one batch each, allocated once: a batch is copied into a slot as it arrives (the
// socket's reads then die young) and sent as one view per chunk (a sixteenth of the writes
// of 64 KiB reads). A slot is filled again only once every byte sent from it has left the
// process: handed to the kernel, counted by neither this stream's buffer nor the
// response's (`writableLength`, which counts a write until the kernel took all of it).

//
// [Note: slots outlive a download]
// A download's slots go back to a small free list once its response has finished (every byte
// handed to the kernel), and the next download takes them from there: allocating 8 MiB of
// slots per download, memory outside V8's heap, left that memory resident until a full
// collection, which the server, reading its database into one buffer per connection
// ([Note: database reads into one buffer]), now seldom needs: 8 MiB more resident per
// download until one came. A slot taken again is written by its new batch before any byte of
// it is sent (each chunk is a view of exactly the bytes its COPY wrote), so nothing of an
// earlier download goes out. A download that ends otherwise (the client went away, an
// error) leaves its slots to the garbage collector: the response may still hold views of them.

const FREE_SLOTS_KEPT = 4;
const freeSlots: Buffer[] = [];

function takeSlot(bytes: number): Buffer {
  const i = freeSlots.findIndex((b) => b.length === bytes);
  return i >= 0 ? freeSlots.splice(i, 1)[0]! : Buffer.allocUnsafeSlow(bytes);
}

/** Where the response tells how many bytes it still holds (an http.ServerResponse). */
export interface Sink {
  readonly writableLength: number;
  /** True once every byte written was handed to the kernel (then its slots may be used again). */
  readonly writableFinished?: boolean;
  once(event: 'drain' | 'close' | 'finish', listener: () => void): unknown;
  off(event: 'drain' | 'close' | 'finish', listener: () => void): unknown;
}

export class ChunkDownload extends Readable {
  private readonly slots: (Buffer | undefined)[] = [undefined, undefined];
  /** For each slot, the count of bytes pushed once its last batch was pushed. */
  private readonly slotEnds = [0, 0];
  private pushed = 0;
  private next: Promise<{ slot: number; chunks: Buffer[] }> | undefined;
  private index: number;
  private batchNo = 0;
  private reading = false;
  /** Slots are filled again only while this stream is piped into the sink alone. */
  private reuse = false;

  constructor(
    private readonly store: ChunkStore,
    private readonly fileId: string,
    firstChunk: number,
    private readonly totalChunks: number,
    private readonly stride: number,
    private readonly batch: number,
    private readonly sink: Sink,
  ) {
    super();
    this.index = firstChunk;
    this.next = firstChunk < totalChunks ? this.prefetch() : undefined;
    // Every byte of the response has reached the kernel: the slots are free ([Note: slots outlive a download]).
    sink.once('finish', () => {
      if (!this.reuse || !this.readableEnded) return;
      for (const slot of this.slots) if (slot && freeSlots.length < FREE_SLOTS_KEPT) freeSlots.push(slot);
      this.slots.fill(undefined);
    });
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // Only into an HTTP/1 response, whose writableLength counts a write until the kernel has
    // it. An HTTP/2 stream's ([Note: HTTP/2 served directly]) hands its writes to the session
    // on terms this stream does not see: there every batch gets memory of its own.
    this.reuse = destination === (this.sink as unknown) && this.sink instanceof ServerResponse && this.listenerCount('data') === 0;
    return super.pipe(destination, options);
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    this.sendBatch().then(
      () => (this.reading = false),
      (err: unknown) => this.destroy(err as Error),
    );
  }

  private async sendBatch(): Promise<void> {
    if (!this.next) return void this.push(null);
    const { slot, chunks } = await this.next;
    if (this.destroyed) return;
    this.next = this.index < this.totalChunks ? this.prefetch() : undefined;
    for (const chunk of chunks) {
      this.pushed += chunk.length;
      this.push(chunk);
    }
    this.slotEnds[slot] = this.pushed;
    if (!this.next) this.push(null);
  }

  /** The next batch, read ahead: a failure before it is awaited is no one's yet (the await gets it). */
  private prefetch(): Promise<{ slot: number; chunks: Buffer[] }> {
    const read = this.fetch();
    read.catch(() => {});
    return read;
  }

  /** Reads the next batch into the slot it takes turns with, once that slot's bytes are gone. */
  private async fetch(): Promise<{ slot: number; chunks: Buffer[] }> {
    const slot = this.batchNo++ % 2;
    const from = this.index;
    const count = Math.min(this.batch, this.totalChunks - from);
    this.index += count;
    let into = this.slots[slot];
    if (into && this.reuse) await this.sent(this.slotEnds[slot]!);
    else this.slots[slot] = into = takeSlot(this.batch * this.stride);
    if (this.destroyed) return { slot, chunks: [] };
    return { slot, chunks: await this.store.readChunks(this.fileId, from, count, into) };
  }

  /** Resolves once the first `upTo` bytes pushed have left the process (or the stream is gone). */
  private async sent(upTo: number): Promise<void> {
    while (!this.destroyed && this.pushed - this.readableLength - this.sink.writableLength < upTo) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.sink.off('drain', done);
          this.off('close', done);
          resolve();
        };
        // 'drain' comes when the response's socket has emptied; the timer covers a write the
        // kernel took at once (no 'drain' then), and this stream's own buffer emptying.
        const timer = setTimeout(done, 2);
        this.sink.once('drain', done);
        this.once('close', done);
      });
    }
  }
}
