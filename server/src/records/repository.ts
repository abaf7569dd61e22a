import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Columns of a record version as served, with the author's identity and the caller's sealed key. */
function versionQuery(db: Db, callerId: string) {
  return db
    .selectFrom('record_versions as v')
    .innerJoin('records as r', 'r.id', 'v.record_id')
    .innerJoin('accounts as a', 'a.id', 'v.author_id')
    .innerJoin('accounts as o', 'o.id', 'r.owner_id')
    .leftJoin('record_keys as k', (j) =>
      j.onRef('k.record_id', '=', 'v.record_id').onRef('k.key_version', '=', 'v.key_version').on('k.recipient_id', '=', callerId),
    )
    .select([
      'v.record_id as id',
      'v.version',
      'v.key_version',
      'v.body',
      'v.signature',
      'v.created_at',
      'r.current_version',
      'r.updated_at',
      'a.handle as author_handle',
      'a.sign_public_key as author_sign_pk',
      'a.box_public_key as author_box_pk',
      'a.identity_signature as author_signature',
      'o.handle as owner_handle',
      'k.sealed_key',
    ]);
}

export type VersionRow = Awaited<ReturnType<ReturnType<typeof versionQuery>['executeTakeFirstOrThrow']>>;

/** The record row if the caller may read it (today: its owner), else undefined. */
export function readableRecord(db: Db, id: string, callerId: string) {
  return db.selectFrom('records').selectAll().where('id', '=', id).where('owner_id', '=', callerId).executeTakeFirst();
}

export function getVersion(db: Db, id: string, version: number, callerId: string) {
  return versionQuery(db, callerId).where('v.record_id', '=', id).where('v.version', '=', version).executeTakeFirst();
}

export function listVersions(db: Db, id: string, callerId: string, after: number, limit: number) {
  return versionQuery(db, callerId)
    .where('v.record_id', '=', id)
    .where('v.version', '>', after)
    .orderBy('v.version', 'asc')
    .limit(limit)
    .execute();
}

/** The latest version of each record the caller may read, newest change first. */
export function listLatest(db: Db, callerId: string, before: { updatedAt: Date; id: string } | undefined, limit: number) {
  let q = versionQuery(db, callerId).whereRef('v.version', '=', 'r.current_version').where('r.owner_id', '=', callerId);
  if (before) {
    q = q.where((eb) =>
      eb.or([eb('r.updated_at', '<', before.updatedAt), eb.and([eb('r.updated_at', '=', before.updatedAt), eb('r.id', '<', before.id)])]),
    );
  }
  return q.orderBy('r.updated_at', 'desc').orderBy('r.id', 'desc').limit(limit).execute();
}
