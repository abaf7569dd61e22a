import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { readableBy } from '../records/repository.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** A file the caller may read: its record's owner, or a grantee with a live grant on the record. */
export function readableFile(db: Db, fileId: string, callerId: string) {
  return db
    .selectFrom('files as f')
    .innerJoin('records as r', 'r.id', 'f.record_id')
    .selectAll('f')
    .where('f.id', '=', fileId)
    .where(readableBy(callerId))
    .executeTakeFirst();
}

/** A file the caller may write to: it owns it. */
export function ownFile(db: Db, fileId: string, callerId: string) {
  return db.selectFrom('files').selectAll().where('id', '=', fileId).where('owner_id', '=', callerId).executeTakeFirst();
}

/** Bytes the account stores in files, complete or not. */
export async function storedBytesOf(db: Db, ownerId: string): Promise<number> {
  const row = await db
    .selectFrom('files')
    .select(sql<number>`coalesce(sum(stored_bytes), 0)`.as('n'))
    .where('owner_id', '=', ownerId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Removes uploads that were never completed and whose time ran out. */
export async function deleteExpiredUploads(db: Db, now = new Date()): Promise<number> {
  const res = await db.deleteFrom('files').where('completed_at', 'is', null).where('expires_at', '<', now).executeTakeFirst();
  return Number(res.numDeletedRows);
}
