import net from 'node:net';
import type pg from 'pg';
import { MAX_CHUNK_SIZE } from '@testimony-vault/protocol';

// [Note: COPY OUT read off the socket]
// A download's batch is one `COPY … TO STDOUT (FORMAT binary)` ([Note: binary chunk reads]).
// pg-copy-streams read it through a Readable of its own: the connection's socket switched to
// paused mode (each 'readable' event a read() and a parse), its CopyData pieces kept in a
// list, pushed into its Readable, taken out again by an async iterator (a promise per piece)
// and only then copied into the download's slot. Here the socket stays in flowing mode and
// each of its reads is parsed where it arrives: the protocol's message frames (CopyData 'd',
// CopyDone 'c', and what may come between), the rows of the binary format
// (BinaryCopyColumn), the values copied into the slot. A batch is bounded (it fits its slot,
// or BinaryCopyColumn refuses it), so nothing here needs back-pressure. From CopyDone on, or
// at the first message that is not part of a COPY (an ErrorResponse, say), the rest of the
// read goes back to node-postgres's own parser, which then sees CommandComplete (or the
// error) and ReadyForQuery and settles the query. (Alone, this saved little: a probe of
// readChunks without HTTP spent 0.2–0.35 s of user CPU per 256 MiB either way; what it
// allows is the next note.)

// [Note: database reads into one buffer]
// Each read of a connection's socket used to be a new 64 KiB buffer: 256 MiB of them per
// 256 MiB downloaded. They die young, but V8 counts the memory outside its heap allocated
// since its last full collection against the old generation's limit, and once that limit
// has shrunk to about 1.1 times a 24 MB heap (after the first downloads), those buffers,
// allocated faster than scavenges free them, started a full collection every 20 MiB or
// so: 11–12 per download, the server's CPU per download doubled (0.28 → 0.6 s;
// scripts/bench-files-download-gc.ts with --trace-gc). So a connection's socket reads into
// one buffer of its own (Node's `onread`), allocated once. During a COPY OUT the reads are
// parsed where they land and the values copied into the download's slot; otherwise each
// read is copied out and handed to node-postgres as its 'data' event (its parser may keep
// the bytes of a message that is not complete yet), as before. Over TLS the socket is
// Node's own (TLS reads the socket itself).

const READ_BYTES = 256 * 1024;
/** A socket made by databaseSocket, to the COPY OUT reading it now. */
const taps = new WeakMap<net.Socket, (data: Buffer) => void>();
const made = new WeakSet<net.Socket>();

/** The socket node-postgres connects with (its `stream` option), reading into one buffer. */
export function databaseSocket(config: { ssl?: unknown } = {}): net.Socket {
  if (config.ssl) return new net.Socket();
  // `onread` is taken by the constructor too (net.connect passes its options there); @types/node lists it for connect only.
  const socket: net.Socket = new net.Socket({
    onread: {
      buffer: Buffer.allocUnsafeSlow(READ_BYTES),
      callback: (n: number, buffer: Uint8Array) => {
        const data = Buffer.from(buffer.buffer, buffer.byteOffset, n);
        const tap = taps.get(socket);
        if (tap) tap(data);
        else socket.emit('data', Buffer.from(data));
      },
    },
  } as net.SocketConstructorOpts);
  made.add(socket);
  return socket;
}

/** node-postgres's connection, as much of it as is used here. */
interface Connection {
  stream: NodeJS.EventEmitter;
  query(text: string): void;
}

/**
 * More than any message of a COPY OUT of file chunks: a CopyData holds one row (a chunk of at
 * most MAX_CHUNK_SIZE and its few bytes of framing); the others are a few bytes.
 */
const MAX_MESSAGE_BYTES = 2 * MAX_CHUNK_SIZE;
const CODE_COPY_DATA = 0x64; // 'd'
const CODE_COPY_DONE = 0x63; // 'c'
const CODE_COPY_OUT = 0x48; // 'H'
// Messages the server may send at any time, also during a COPY (PostgreSQL protocol, "COPY Operations").
const ASYNCHRONOUS = new Set([0x4e /* N notice */, 0x53 /* S parameter status */, 0x41 /* A notification */]);

export class CopyOutColumn {
  private readonly rows: BinaryCopyColumn;
  private pgListener: ((data: Buffer) => void) | undefined;
  private readonly onData = (data: Buffer) => this.receive(data);
  private connection: Connection | undefined;
  /** The 5-byte frame head (code, int32 length) gathered across reads. */
  private readonly head = Buffer.alloc(5);
  private headHave = 0;
  /** Bytes left of the current message's body, and its code. */
  private bodyLeft = 0;
  private code = 0;
  private failed: Error | undefined;
  /** Whether the reads are the socket's one buffer, overwritten by the next read. */
  private shared = false;
  private readonly keepViews: boolean;
  readonly done: Promise<Buffer[]>;
  private settle!: { resolve: (pieces: Buffer[]) => void; reject: (err: Error) => void };

  constructor(
    readonly text: string,
    into?: Buffer,
  ) {
    this.rows = new BinaryCopyColumn(into);
    this.keepViews = !into;
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  /** Called by node-postgres when this query's turn comes. */
  submit(connection: Connection): void {
    this.connection = connection;
    if (connection.stream instanceof net.Socket && isDatabaseSocket(connection.stream)) {
      // Its reads are one reused buffer: parsed here, values copied out at once ([Note: database reads into one buffer]).
      this.shared = true;
      taps.set(connection.stream, this.onData);
      connection.query(this.text);
      return;
    }
    const listeners = connection.stream.listeners('data');
    if (listeners.length !== 1) throw new Error('COPY OUT: the connection has not exactly one data listener');
    this.pgListener = listeners[0] as (data: Buffer) => void;
    connection.stream.removeListener('data', this.pgListener);
    connection.stream.on('data', this.onData);
    connection.query(this.text);
  }

  private receive(data: Buffer): void {
    let at = 0;
    /** Where node-postgres's parser takes over, once found: handed back outside the try below. */
    let rest: Buffer | undefined;
    try {
      while (at < data.length && !rest) {
        if (this.bodyLeft > 0) {
          const n = Math.min(this.bodyLeft, data.length - at);
          if (this.code === CODE_COPY_DATA) {
            const piece = n === data.length ? data : data.subarray(at, at + n);
            this.rows.push(this.shared && this.keepViews ? Buffer.from(piece) : piece);
          }
          this.bodyLeft -= n;
          at += n;
          continue;
        }
        if (this.headHave === 0) {
          const code = data[at]!;
          // Not part of the COPY (an error, or CommandComplete after CopyDone): node-postgres's.
          if (code !== CODE_COPY_DATA && code !== CODE_COPY_OUT && code !== CODE_COPY_DONE && !ASYNCHRONOUS.has(code)) {
            rest = data.subarray(at);
            break;
          }
        }
        const n = Math.min(5 - this.headHave, data.length - at);
        data.copy(this.head, this.headHave, at, at + n);
        this.headHave += n;
        at += n;
        if (this.headHave < 5) continue;
        this.headHave = 0;
        this.code = this.head[0]!;
        this.bodyLeft = this.head.readUInt32BE(1) - 4;
        // A frame read from the middle of another message (one node-postgres had begun, say)
        // gives a length that is no message of a COPY: refused at once, never waited for.
        if (this.bodyLeft < 0 || this.bodyLeft > MAX_MESSAGE_BYTES) throw new Error('COPY OUT: bad message length');
        if (this.code === CODE_COPY_DONE) {
          if (this.bodyLeft !== 0) throw new Error('COPY OUT: CopyDone with a body');
          rest = data.subarray(at);
        }
      }
    } catch (err) {
      // The connection is mid-message: it is not handed back (the caller releases it broken).
      this.fail(err as Error);
      this.detach();
      return;
    }
    // Outside the try: what node-postgres does with the rest (its parser, its callbacks) is
    // its own, and an error there is not this COPY's to swallow.
    if (rest) this.handBack(rest);
  }

  /** After a failure: the connection is mid-message and is released broken; its reads go nowhere. */
  private detach(): void {
    const stream = this.connection!.stream;
    if (this.shared) taps.set(stream as net.Socket, () => undefined);
    else stream.removeListener('data', this.onData);
  }

  /** From CopyDone on, or a message that is not the COPY's: node-postgres's parser reads again. */
  private handBack(rest: Buffer): void {
    const stream = this.connection!.stream;
    if (this.shared) {
      taps.delete(stream as net.Socket);
      // A copy: node-postgres's parser may keep it, and the socket's buffer is read into again.
      if (rest.length > 0) stream.emit('data', Buffer.from(rest));
      return;
    }
    stream.removeListener('data', this.onData);
    stream.on('data', this.pgListener!);
    if (rest.length > 0) this.pgListener!(rest);
  }

  private fail(err: Error): void {
    this.failed ??= err;
    this.settle.reject(this.failed);
  }

  // node-postgres's calls on its active query.
  handleError(err: Error): void {
    this.fail(err);
  }
  handleReadyForQuery(): void {
    if (this.failed) return;
    if (!this.rows.ended) return this.fail(new Error('COPY ended before its trailer'));
    this.settle.resolve(this.rows.pieces);
  }
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCopyInResponse(): void {
    this.fail(new Error('COPY OUT: the database expects COPY IN'));
  }
  handleCopyData(): void {}
  handlePortalSuspended(): void {}
}

/** Whether a socket reads into one buffer of its own (made by databaseSocket). */
export function isDatabaseSocket(socket: net.Socket): boolean {
  return made.has(socket);
}

/**
 * The values of a one-column binary `COPY … TO STDOUT` run on `client`, in row order:
 * copied into `into` (one view of it per value), or as views of the socket's reads.
 */
export function readCopyColumn(client: pg.PoolClient, text: string, into?: Buffer): Promise<Buffer[]> {
  const copy = new CopyOutColumn(text, into);
  client.query(copy as never);
  return copy.done;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * PostgreSQL's binary COPY format for rows of one non-null column, fed in pieces of any
 * size: an 11-byte signature, flags and a header extension; then per row an int16 field
 * count (1), an int32 length and the bytes; an int16 -1 ends it. The values' bytes, in row
 * order, are kept as views into the pieces (no copy: the pieces are the socket's own reads,
 * [Note: binary chunk reads]); or, given a target, copied into it one value after the other,
 * `pieces` then holding one view of the target per value (values that do not fit are refused).
 * `values` counts the rows.
 */
export class BinaryCopyColumn {
  readonly pieces: Buffer[] = [];
  values = 0;
  ended = false;
  /** Where the next value's bytes go in the target. */
  private filled = 0;
  private valueStart = 0;

  constructor(private readonly target?: Buffer) {}

  private stage: 'header' | 'extension' | 'count' | 'length' | 'value' = 'header';
  private readonly small = Buffer.alloc(19);
  private have = 0;
  private skip = 0;
  private valueLength = 0;

  push(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      if (this.ended) throw new Error('binary COPY: data after the trailer');
      if (this.stage === 'value') {
        const n = Math.min(this.valueLength - this.have, data.length - at);
        if (this.target) this.filled += data.copy(this.target, this.filled, at, at + n);
        else this.pieces.push(n === data.length ? data : data.subarray(at, at + n));
        this.have += n;
        at += n;
        if (this.have === this.valueLength) this.finishValue();
        continue;
      }
      if (this.stage === 'extension') {
        const n = Math.min(this.skip, data.length - at);
        this.skip -= n;
        at += n;
        if (this.skip === 0) this.stage = 'count';
        continue;
      }
      const need = this.stage === 'header' ? 19 : this.stage === 'count' ? 2 : 4;
      const n = Math.min(need - this.have, data.length - at);
      data.copy(this.small, this.have, at, at + n);
      this.have += n;
      at += n;
      if (this.have < need) continue;
      this.have = 0;
      if (this.stage === 'header') {
        if (!this.small.subarray(0, 11).equals(SIGNATURE)) throw new Error('binary COPY: bad signature');
        if (this.small.readInt32BE(11) & (1 << 16)) throw new Error('binary COPY: OIDs are not expected');
        this.skip = this.small.readUInt32BE(15);
        this.stage = this.skip > 0 ? 'extension' : 'count';
      } else if (this.stage === 'count') {
        const fields = this.small.readInt16BE(0);
        if (fields === -1) this.ended = true;
        else if (fields !== 1) throw new Error(`binary COPY: ${fields} fields in a row, expected 1`);
        else this.stage = 'length';
      } else {
        const length = this.small.readInt32BE(0);
        if (length < 0) throw new Error('binary COPY: unexpected NULL');
        if (this.target && length > this.target.length - this.filled) throw new Error('binary COPY: more bytes than the target holds');
        this.valueLength = length;
        this.valueStart = this.filled;
        this.stage = 'value';
        if (length === 0) this.finishValue();
      }
    }
  }

  private finishValue(): void {
    if (this.target) this.pieces.push(this.target.subarray(this.valueStart, this.filled));
    this.values += 1;
    this.have = 0;
    this.stage = 'count';
  }
}
