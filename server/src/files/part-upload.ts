import { finished, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql, type Compilable, type Kysely } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CHUNK_OVERHEAD } from '@testimony-vault/protocol';
import { ERR } from '../errors.ts';
import { poolOf } from '../db/connect.ts';
import type { Database } from '../db/schema.ts';
import { COPY_CHUNKS_SQL, PartToCopyRows } from './copy-rows.ts';

export interface PartLimits {
  fileMaxBytes: number;
  quotaBytes: number;
}

export interface StoredPart {
  part: number;
  chunks: number;
  storedBytes: number;
}

async function rows<R>(client: pg.PoolClient, query: Compilable<R>): Promise<R[]> {
  const { sql: text, parameters } = query.compile();
  return (await client.query(text, parameters as unknown[])).rows as R[];
}

/**
 * Stores part `part` of an upload from its body as it arrives ([Note: streamed parts]), in
 * one transaction on a connection of its own: a part that fails (bad chunks, a body cut
 * short, a limit) leaves nothing, and a part sent again replaces the chunks it held.
 *
 * Locks, so that a part's transaction can last as long as its body takes:
 * - the file row FOR KEY SHARE: other parts of the same file go on at the same time (the
 *   client sends two), while completing or abandoning the upload (FOR UPDATE) waits for them;
 * - (file, part) under a transaction advisory lock: the same part sent twice at once (a
 *   retry while the first is still arriving) takes turns, the second replacing the first;
 * - at the end, after the bytes are in, the file row by its UPDATE and the account row FOR
 *   UPDATE, in that order (as before), for the size and quota checks over committed sums.
 */
export async function streamPart(db: Kysely<Database>, owner: string, fileId: string, part: number, body: Readable, limits: PartLimits): Promise<StoredPart> {
  // Listened to from the start: a body cut while the part waits for its locks fails it below.
  body.on('error', () => {});
  const client = await poolOf(db).connect();
  let broken = false;
  try {
    await client.query('begin');
    const [file] = await rows(client, db.selectFrom('files').select(['chunk_size', 'part_chunks', 'completed_at']).where('id', '=', fileId).where('owner_id', '=', owner).forKeyShare());
    if (!file) throw new ERR.NOT_FOUND();
    if (file.completed_at) throw new ERR.UPLOAD_COMPLETE();
    const first = part * file.part_chunks;
    await client.query('select pg_advisory_xact_lock(hashtext($1), $2)', [fileId, part]);
    const removed = await rows(
      client,
      db
        .deleteFrom('file_chunks')
        .where('file_id', '=', fileId)
        .where('idx', '>=', first)
        .where('idx', '<', first + file.part_chunks)
        .returning((eb) => eb.fn<number>('octet_length', ['data']).as('size')),
    );
    const rowsOut = new PartToCopyRows(fileId, first, file.chunk_size + CHUNK_OVERHEAD, file.part_chunks);
    // The body is piped, not part of the pipeline: a part refused half-way (BAD_PART) fails
    // the COPY without destroying the request, so the client still gets its 400 (Node reads
    // and discards the rest of the body once the reply is sent). A body cut short fails it too.
    const copied = pipeline(rowsOut, client.query(copyFrom(COPY_CHUNKS_SQL)));
    const unwatch = finished(body, (err) => err && rowsOut.destroy(err));
    body.pipe(rowsOut);
    try {
      await copied;
    } catch (err) {
      body.unpipe(rowsOut);
      throw rowsOut.errored ?? err;
    } finally {
      unwatch();
    }
    const delta = rowsOut.bytes - removed.reduce((n, r) => n + Number(r.size), 0);
    const [updated] = await rows(
      client,
      db
        .updateTable('files')
        .set({ stored_bytes: sql<number>`stored_bytes + ${delta}` })
        .where('id', '=', fileId)
        .returning('stored_bytes'),
    );
    if (Number(updated!.stored_bytes) > limits.fileMaxBytes) throw new ERR.FILE_TOO_LARGE();
    // The quota is a sum over all the account's files: parts of different uploads take turns here.
    await rows(client, db.selectFrom('accounts').select('id').where('id', '=', owner).forUpdate());
    const [sum] = await rows(client, db.selectFrom('files').select(sql<number>`coalesce(sum(stored_bytes), 0)`.as('n')).where('owner_id', '=', owner));
    if (Number(sum!.n) > limits.quotaBytes) throw new ERR.QUOTA_EXCEEDED();
    await client.query('commit');
    return { part, chunks: rowsOut.chunks, storedBytes: Number(updated!.stored_bytes) };
  } catch (err) {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** A body read to its end, as the pieces it came in (not joined); more than `limit` bytes is refused. */
export async function received(body: Readable, limit: number): Promise<Buffer[]> {
  const pieces: Buffer[] = [];
  let n = 0;
  for await (const piece of body) {
    n += (piece as Buffer).length;
    if (n > limit) throw new ERR.BODY_TOO_LARGE();
    pieces.push(piece as Buffer);
  }
  return pieces;
}
