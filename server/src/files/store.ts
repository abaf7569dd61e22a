import type { Kysely, Transaction } from 'kysely';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { poolOf } from '../db/connect.ts';
import type { Database } from '../db/schema.ts';

/**
 * Where encrypted chunks live. PostgreSQL today (one row per chunk, so files, records and
 * the audit trail share one transactional store and one backup); another backend can
 * implement the same three operations.
 */
export interface ChunkStore {
  /** Replaces the chunks firstIndex.. of a file, inside the caller's transaction. Returns bytes removed. */
  putChunks(trx: Transaction<Database>, fileId: string, firstIndex: number, lastIndexExclusive: number, chunks: Buffer[]): Promise<number>;
  /**
   * The bytes of up to `count` chunks from `fromIndex`, in order, in pieces of any size; with
   * `into`, copied into it and handed out as one view of it per chunk ([Note: download slots]).
   */
  readChunks(fileId: string, fromIndex: number, count: number, into?: Buffer): Promise<Buffer[]>;
  /** Indices and sizes of stored chunks, ascending; inside a transaction, pass it (see [Note: embedded pool]). */
  chunkIndices(fileId: string, db?: Kysely<Database> | Transaction<Database>): Promise<{ idx: number; size: number }[]>;
}

export class PostgresChunkStore implements ChunkStore {
  constructor(private readonly db: Kysely<Database>) {}

  async putChunks(trx: Transaction<Database>, fileId: string, first: number, end: number, chunks: Buffer[]): Promise<number> {
    const removed = await trx
      .deleteFrom('file_chunks')
      .where('file_id', '=', fileId)
      .where('idx', '>=', first)
      .where('idx', '<', end)
      .returning((eb) => eb.fn('octet_length', ['data']).as('size'))
      .execute();
    // One statement per chunk keeps each bind message about one chunk in size.
    for (const [i, data] of chunks.entries()) {
      await trx.insertInto('file_chunks').values({ file_id: fileId, idx: first + i, data }).execute();
    }
    return removed.reduce((n, r) => n + Number(r.size), 0);
  }

  async readChunks(fileId: string, fromIndex: number, count: number, into?: Buffer): Promise<Buffer[]> {
    // [Note: binary chunk reads]
    // A SELECT returns bytea as hex text: node-postgres decodes every field of a DataRow as
    // UTF-8 (its per-query `binary: true` then corrupts bytea), so a 1 MiB chunk arrives as
    // 2 MiB of hex, becomes a 2 MiB string and is decoded again. COPY … TO STDOUT (FORMAT
    // binary) sends the raw bytes in CopyData messages. They are read with pg-copy-streams,
    // which takes the connection's socket while the COPY lasts and hands over each socket
    // read's CopyData bytes as they came (node-postgres's own parser would first rebuild
    // every 1 MiB message from 64 KiB reads, then the values would be copied out of its
    // reused buffer): the chunks' bytes are views into the socket's reads, copied by no one,
    // sent as they are. It runs on a connection of the same pool (no second pool: [Note:
    // embedded pool]); COPY takes no bind parameters, so the values are checked and quoted here.
    if (!UUID.test(fileId)) throw new Error('readChunks: fileId is not a UUID');
    if (!Number.isSafeInteger(fromIndex) || !Number.isSafeInteger(count) || fromIndex < 0 || count < 1) throw new Error('readChunks: bad range');
    const text =
      `copy (select data from file_chunks where file_id = ${pg.escapeLiteral(fileId)} and idx >= ${fromIndex} and idx < ${fromIndex + count} order by idx) ` +
      'to stdout (format binary)';
    const client = await poolOf(this.db).connect();
    let broken = false;
    try {
      const parser = new BinaryCopyColumn(into);
      for await (const piece of client.query(copyTo(text))) parser.push(piece as Buffer);
      if (!parser.ended) throw new Error('COPY ended before its trailer');
      return parser.pieces;
    } catch (err) {
      // The connection may be in the middle of a COPY: do not hand it back to the pool.
      broken = true;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async chunkIndices(fileId: string, db: Kysely<Database> | Transaction<Database> = this.db): Promise<{ idx: number; size: number }[]> {
    const rows = await db
      .selectFrom('file_chunks')
      .select(['idx', (eb) => eb.fn<number>('octet_length', ['data']).as('size')])
      .where('file_id', '=', fileId)
      .orderBy('idx')
      .execute();
    return rows.map((r) => ({ idx: r.idx, size: Number(r.size) }));
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/**
 * Whether the database takes `COPY … FROM STDIN` on a connection of the pool: PostgreSQL
 * does; PGlite behind pglite-socket (its version says emscripten) loses the connection's
 * protocol synchronisation instead, so the embedded server keeps inserting chunk by chunk.
 */
export async function takesCopyIn(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await poolOf(db).query<{ v: string }>('select version() as v');
  return !/emscripten/i.test(rows[0]?.v ?? '');
}
