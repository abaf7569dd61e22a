import type { Kysely, Transaction } from 'kysely';
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
    // Text result format (bytea as hex). node-postgres's per-query `binary: true` requests
    // binary results but still decodes every field as UTF-8 text, which corrupts bytea;
    // binary reads need a connection-level binary client, and a second pool would bring
    // back the embedded interleaving problem ([Note: embedded pool]).
    const rows = await this.db
      .selectFrom('file_chunks')
      .select('data')
      .where('file_id', '=', fileId)
      .where('idx', '>=', fromIndex)
      .where('idx', '<', fromIndex + count)
      .orderBy('idx')
      .execute();
    return rows.map((r) => r.data);
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
