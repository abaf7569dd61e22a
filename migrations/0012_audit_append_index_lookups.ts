import { sql, type Kysely } from 'kysely';

// [Note: the append's plans] audit_append_many (0011) looks things up by key: the log's
// size (audit_events_pkey), each record's previous event (audit_events_record_idx) and the
// left siblings of new subtree hashes (audit_nodes_pk). PL/pgSQL plans those statements once
// per connection and keeps the plan until the tables' statistics change. A connection that
// first appended while the log was a few rows long kept a sequential scan of audit_events
// for every record's previous event: with the test PostgreSQL's autovacuum off (and the
// embedded database, which has none), nothing ever replanned it, and a listing's page of 200
// read events grew to 1-2 s at 70,000 events (pg_stat_user_tables: 70,313 sequential scans
// of audit_events, 2.45 billion rows read; docs/PERFORMANCE.md, "Listing"). A sequential
// scan is never the plan for a key look-up in a log that only grows, so the function is
// planned without it: the same rows, read through the indexes at any size and with any
// statistics. test/audit-append-many.test.ts checks that an append after statistics taken
// on a tiny log reads no table sequentially.
const SIGNATURE = 'public.audit_append_many(timestamptz, uuid[], text[], text[], uuid[], uuid[], bytea[], bytea[], bytea[])';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter function ${SIGNATURE} set enable_seqscan = off`).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter function ${SIGNATURE} reset enable_seqscan`).execute(db);
}
