import { Transform, type TransformCallback } from 'node:stream';
import { CHUNK_OVERHEAD } from '@testimony-vault/protocol';
import { ERR } from '../errors.ts';

// [Note: streamed parts]
// A part is written into file_chunks by `COPY … FROM STDIN (FORMAT binary)` while its body
// arrives: the database stores chunk n while the server still receives chunk n+1, and the
// body is never joined into one buffer (Fastify's parseAs: 'buffer' copied every 8 MiB part
// once more, and a bind message per chunk copied each chunk again). The format, for rows of
// (file_id uuid, idx int4, data bytea): an 11-byte signature, int32 flags, int32 header
// extension length; per row int16 field count, then per field int32 length and its bytes;
// an int16 -1 ends it.

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, no flags (no OIDs), an empty header extension. */
export const COPY_HEADER = Buffer.concat([SIGNATURE, Buffer.alloc(8)]);
export const COPY_TRAILER = Buffer.from([0xff, 0xff]);
const ROW_HEADER_BYTES = 2 + 4 + 16 + 4 + 4 + 4;

/** The field count, file_id, idx and the length of data: what precedes a chunk's bytes. */
export function chunkRowHeader(fileId: Buffer, idx: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(ROW_HEADER_BYTES);
  b.writeInt16BE(3, 0);
  b.writeInt32BE(16, 2);
  fileId.copy(b, 6);
  b.writeInt32BE(4, 22);
  b.writeInt32BE(idx, 26);
  b.writeInt32BE(length, 30);
  return b;
}

export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

export const COPY_CHUNKS_SQL = 'copy file_chunks (file_id, idx, data) from stdin (format binary)';

/**
 * Turns a part's body, in pieces of any size, into binary COPY rows of chunks
 * firstIndex, firstIndex+1, …, each `stride` bytes but the last. A chunk's pieces are held
 * (not copied) until its length is known: at most one chunk per part in memory. Refuses
 * what splitPart refuses (BAD_PART): an empty body, more than maxChunks chunks, a last
 * chunk shorter than its overhead. `bytes` and `chunks` count what went through.
 */
export class PartToCopyRows extends Transform {
  bytes = 0;
  chunks = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private readonly fileIdBytes: Buffer;

  constructor(fileId: string, private readonly firstIndex: number, private readonly stride: number, private readonly maxChunks: number) {
    super({ writableHighWaterMark: stride, readableHighWaterMark: stride });
    this.fileIdBytes = uuidBytes(fileId);
    this.push(COPY_HEADER);
  }

  override _transform(piece: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < piece.length) {
      const n = Math.min(this.stride - this.heldBytes, piece.length - at);
      this.held.push(at === 0 && n === piece.length ? piece : piece.subarray(at, at + n));
      this.heldBytes += n;
      at += n;
      if (this.heldBytes === this.stride && !this.emitChunk()) return done(new ERR.BAD_PART(`more than ${this.maxChunks} chunks`));
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.heldBytes > 0) {
      if (this.chunks === this.maxChunks) return done(new ERR.BAD_PART(`more than ${this.maxChunks} chunks`));
      if (this.heldBytes < CHUNK_OVERHEAD) return done(new ERR.BAD_PART('a chunk is shorter than its overhead'));
      this.emitChunk();
    }
    if (this.chunks === 0) return done(new ERR.BAD_PART('empty'));
    this.push(COPY_TRAILER);
    done();
  }

  private emitChunk(): boolean {
    if (this.chunks === this.maxChunks) return false;
    this.push(chunkRowHeader(this.fileIdBytes, this.firstIndex + this.chunks, this.heldBytes));
    for (const b of this.held) this.push(b);
    this.bytes += this.heldBytes;
    this.chunks += 1;
    this.held = [];
    this.heldBytes = 0;
    return true;
  }
}
