import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { ERR } from '../errors.ts';

type Db = Kysely<Database> | Transaction<Database>;

// [Note: live grants]
// A grant lets its grantee read a record while it is neither revoked nor past its expiry.
// Expiry is checked in every query against the database's clock, so an expired grant is
// refused the moment it expires, with no job having to run.

/** Condition on a `grants as g` row: it is live now. */
export function isLive(eb: ExpressionBuilder<{ g: Database['grants'] }, 'g'>) {
  return eb.and([eb('g.revoked_at', 'is', null), eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', sql<Date>`now()`)])]);
}

/** Condition on a `records as r` row: the caller owns it or holds a live grant on it. */
export function readableBy(callerId: string) {
  return (eb: ExpressionBuilder<Database & { r: Database['records'] }, 'r'>) =>
    eb.or([
      eb('r.owner_id', '=', callerId),
      eb.exists(eb.selectFrom('grants as g').select('g.id').whereRef('g.record_id', '=', 'r.id').where('g.grantee_id', '=', callerId).where(isLive)),
    ]);
}

/** The caller's live grant on a record, if any. */
export function liveGrant(db: Db, recordId: string, granteeId: string) {
  return db
    .selectFrom('grants as g')
    .selectAll('g')
    .where('g.record_id', '=', recordId)
    .where('g.grantee_id', '=', granteeId)
    .where(isLive)
    .executeTakeFirst();
}

// What a served version carries, in versionQuery and the listing's page alike (the record's
// current version and time come from `r` there and from the page `p` here).
const VERSION_COLUMNS = ['v.record_id as id', 'v.version', 'v.key_version', 'v.body', 'v.signature', 'v.created_at'] as const;
const PARTIES_COLUMNS = [
  'a.handle as author_handle',
  'a.sign_public_key as author_sign_pk',
  'a.box_public_key as author_box_pk',
  'a.identity_signature as author_signature',
  'o.handle as owner_handle',
  'k.sealed_key',
  'g.key_version as grant_key_version',
  'g.granted_at as grant_granted_at',
  'g.expires_at as grant_expires_at',
  'g.signature as grant_signature',
] as const;

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
    .leftJoin('grants as g', (j) => j.onRef('g.record_id', '=', 'v.record_id').on('g.grantee_id', '=', callerId).on(isLive))
    .select([...VERSION_COLUMNS, 'r.current_version', 'r.updated_at', ...PARTIES_COLUMNS]);
}

export type VersionRow = Awaited<ReturnType<ReturnType<typeof versionQuery>['executeTakeFirstOrThrow']>>;

/** The record row if the caller may read it (its owner, or a grantee with a live grant), else undefined. */
export function readableRecord(db: Db, id: string, callerId: string) {
  return db
    .selectFrom('records as r')
    .selectAll('r')
    .where('r.id', '=', id)
    .where(readableBy(callerId))
    .executeTakeFirst();
}

/**
 * The record row if the caller owns it (locked for update inside a transaction when
 * `lock`). A grantee who may read the record gets 403 (it knows the record exists);
 * anyone else gets the same 404 as for a record that does not exist.
 */
export async function ownedRecord(db: Db, id: string, callerId: string, lock: 'for update' | 'no lock' = 'no lock') {
  let q = db.selectFrom('records').selectAll().where('id', '=', id).where('owner_id', '=', callerId);
  if (lock === 'for update') q = q.forUpdate();
  const record = await q.executeTakeFirst();
  if (record) return record;
  if (await readableRecord(db, id, callerId)) throw new ERR.FORBIDDEN();
  throw new ERR.NOT_FOUND();
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
  return latestQuery(db, callerId, before, limit).execute();
}

/** listLatest's query, not run (its plan is tested: test/records-listing-cursor.test.ts). */
export function latestQuery(db: Db, callerId: string, before: { updatedAt: Date; id: string } | undefined, limit: number) {
  // [Note: the page is chosen before the joins]
  // The page's records are chosen first, from `records` alone (a subquery with its own
  // LIMIT), and only they are joined to their versions, authors and keys. Written as one
  // join with the LIMIT outside, the plan depended on statistics: with none (the embedded
  // database never analyzes; a PostgreSQL whose autovacuum is off or has not run yet), the
  // planner guessed one row, joined every record of the owner and sorted them all for each
  // page: 52-66 ms a page at 10,000 records against 1 ms (docs/PERFORMANCE.md, "Listing").
  // Now the most a missing statistic costs is sorting the owner's records ids, never joining them.
  //
  // The cursor is a row comparison, which PostgreSQL uses as a condition on
  // records_owner_updated_idx (owner_id, updated_at desc, id desc): the scan starts at the
  // cursor. Written as `updated_at < … or (updated_at = … and id < …)`, it was a filter on
  // every row after the newest.
  let page = db.selectFrom('records as r').select(['r.id', 'r.owner_id', 'r.current_version', 'r.updated_at']).where('r.owner_id', '=', callerId);
  if (before) page = page.where((eb) => eb(eb.refTuple('r.updated_at', 'r.id'), '<', eb.tuple(before.updatedAt, before.id)));
  page = page.orderBy('r.updated_at', 'desc').orderBy('r.id', 'desc').limit(limit);
  return db
    .selectFrom(page.as('p'))
    .innerJoin('record_versions as v', (j) => j.onRef('v.record_id', '=', 'p.id').onRef('v.version', '=', 'p.current_version'))
    .innerJoin('accounts as a', 'a.id', 'v.author_id')
    .innerJoin('accounts as o', 'o.id', 'p.owner_id')
    .leftJoin('record_keys as k', (j) =>
      j.onRef('k.record_id', '=', 'v.record_id').onRef('k.key_version', '=', 'v.key_version').on('k.recipient_id', '=', callerId),
    )
    .leftJoin('grants as g', (j) => j.onRef('g.record_id', '=', 'v.record_id').on('g.grantee_id', '=', callerId).on(isLive))
    .select([...VERSION_COLUMNS, 'p.current_version', 'p.updated_at', ...PARTIES_COLUMNS])
    .orderBy('p.updated_at', 'desc')
    .orderBy('p.id', 'desc');
}
