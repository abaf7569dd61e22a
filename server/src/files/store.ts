import type { Kysely, Transaction } from 'kysely';
import pg from 'pg';
import { poolOf } from '../db/connect.ts';
import type { Database } from '../db/schema.ts';
import { readCopyColumn } from './copy-out.ts';

export { BinaryCopyColumn } from './copy-out.ts';

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
    // binary) sends the raw bytes in CopyData messages. They are read off the connection's
    // socket while the COPY lasts ([Note: COPY OUT read off the socket]), each socket read's
    // CopyData bytes as they came (node-postgres's own parser would first rebuild every 1 MiB
    // message from 64 KiB reads, then the values would be copied out of its reused buffer):
    // the chunks' bytes are copied once, into the download's slot. It runs on a connection of the same pool (no second pool: [Note:
    // embedded pool]); COPY takes no bind parameters, so the values are checked and quoted here.
    if (!UUID.test(fileId)) throw new Error('readChunks: fileId is not a UUID');
    if (!Number.isSafeInteger(fromIndex) || !Number.isSafeInteger(count) || fromIndex < 0 || count < 1) throw new Error('readChunks: bad range');
    const text =
      `copy (select data from file_chunks where file_id = ${pg.escapeLiteral(fileId)} and idx >= ${fromIndex} and idx < ${fromIndex + count} order by idx) ` +
      'to stdout (format binary)';
    const client = await poolOf(this.db).connect();
    let broken = false;
    try {
      return await readCopyColumn(client, text, into);
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
 * Whether the database takes `COPY … FROM STDIN` on a connection of the pool: PostgreSQL
 * does; PGlite behind pglite-socket (its version says emscripten) loses the connection's
 * protocol synchronisation instead, so the embedded server keeps inserting chunk by chunk.
 */
export async function takesCopyIn(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await poolOf(db).query<{ v: string }>('select version() as v');
  return !/emscripten/i.test(rows[0]?.v ?? '');
}
