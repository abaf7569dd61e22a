import type { Kysely, Transaction } from 'kysely';
import pg from 'pg';
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
  /** Up to `count` chunks from `fromIndex`, in order. */
  readChunks(fileId: string, fromIndex: number, count: number): Promise<Buffer[]>;
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

  async readChunks(fileId: string, fromIndex: number, count: number): Promise<Buffer[]> {
    // [Note: binary chunk reads]
    // A SELECT returns bytea as hex text: node-postgres decodes every field of a DataRow as
    // UTF-8 (its per-query `binary: true` then corrupts bytea), so a 1 MiB chunk arrives as
    // 2 MiB of hex, becomes a 2 MiB string and is decoded again. COPY … TO STDOUT (FORMAT
    // binary) sends the raw bytes in CopyData messages, which node-postgres hands over as
    // Buffers: half the bytes on the wire, no string, no hex decode, and much less garbage
    // per chunk for the collector (peak server memory). It runs on a connection of the same
    // pool (no second pool: [Note: embedded pool]) in the simple query protocol; COPY takes
    // no bind parameters, so the values are checked and quoted here.
    if (!UUID.test(fileId)) throw new Error('readChunks: fileId is not a UUID');
    if (!Number.isSafeInteger(fromIndex) || !Number.isSafeInteger(count) || fromIndex < 0 || count < 1) throw new Error('readChunks: bad range');
    const text =
      `copy (select data from file_chunks where file_id = ${pg.escapeLiteral(fileId)} and idx >= ${fromIndex} and idx < ${fromIndex + count} order by idx) ` +
      'to stdout (format binary)';
    const client = await poolOf(this.db).connect();
    let broken = false;
    try {
      return await client.query(new CopyOutBytea(text)).result;
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

/**
 * A node-postgres query object (pg's Submittable, the interface pg-copy-streams uses) for
 * `COPY (select <one bytea column>) TO STDOUT (FORMAT binary)`: the values as Buffers of
 * their own, in row order. See [Note: binary chunk reads].
 */
class CopyOutBytea {
  readonly result: Promise<Buffer[]>;
  private settle!: (err: Error | null, values?: Buffer[]) => void;
  private readonly parser = new BinaryCopyColumn();
  private failure: Error | null = null;

  constructor(private readonly text: string) {
    this.result = new Promise((resolve, reject) => {
      let settled = false;
      this.settle = (err, values) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve(values!);
      };
    });
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    if (this.failure) return;
    try {
      this.parser.push(msg.chunk);
    } catch (err) {
      this.failure = err as Error;
    }
  }

  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('not a COPY FROM');
  }

  handleReadyForQuery(): void {
    if (this.failure) return this.settle(this.failure);
    if (!this.parser.ended) return this.settle(new Error('COPY ended before its trailer'));
    this.settle(null, this.parser.values);
  }

  handleError(err: Error): void {
    this.settle(err);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * PostgreSQL's binary COPY format for rows of one non-null column, fed in pieces of any
 * size: an 11-byte signature, flags and a header extension; then per row an int16 field
 * count (1), an int32 length and the bytes; an int16 -1 ends it. Each value is copied once
 * into a Buffer of its exact size (the pieces are views into the driver's read buffer,
 * which it reuses).
 */
export class BinaryCopyColumn {
  readonly values: Buffer[] = [];
  ended = false;
  private stage: 'header' | 'extension' | 'count' | 'length' | 'value' = 'header';
  private readonly small = Buffer.alloc(19);
  private have = 0;
  private skip = 0;
  private value: Buffer | null = null;

  push(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      if (this.ended) throw new Error('binary COPY: data after the trailer');
      if (this.stage === 'value') {
        const value = this.value!;
        const n = Math.min(value.length - this.have, data.length - at);
        data.copy(value, this.have, at, at + n);
        this.have += n;
        at += n;
        if (this.have === value.length) this.finishValue();
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
        this.value = Buffer.allocUnsafeSlow(length);
        this.stage = 'value';
        if (length === 0) this.finishValue();
      }
    }
  }

  private finishValue(): void {
    this.values.push(this.value!);
    this.value = null;
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
