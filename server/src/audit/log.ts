import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { randomBytes } from 'node:crypto';
import { AUDIT_ADDRESS_OPENING_BYTES, AUDIT_SALT_BYTES, auditAddressCommitment, auditLeafParts, type AuditAction, type AuditOutcome } from '@testimony-vault/protocol';

type Db = Kysely<Database> | Transaction<Database>;

/** What a route says happened; the log adds the index, the time and the record chain. */
export interface AuditEntry {
  actor: { id: string; handle: string } | null;
  action: AuditAction;
  outcome: AuditOutcome;
  recordId?: string | null;
  fileId?: string | null;
  subject?: string | null;
  /** The client's address (AUDIT_LOG_IP): committed to in the leaf, kept apart ([Note: audit addresses]). */
  ip?: string | null;
}

/** The number of events in the log (the tree size). */
export async function treeSize(db: Db): Promise<number> {
  const row = await db.selectFrom('audit_events').select(sql<string | null>`max(idx)`.as('n')).executeTakeFirstOrThrow();
  return row.n === null ? 0 : Number(row.n) + 1;
}

// [Note: audit appends]
// Events are appended by one statement, `audit_append_many`
// (migrations/0011_audit_append_many.ts; one event at a time it was `audit_append`,
// migrations/0006_audit_append.ts, which it matches leaf for leaf), which runs inside
// PostgreSQL: it takes a transaction-scoped advisory lock (held until commit, so appends
// from every instance are serialised and indices have no gaps), reads the size, links each
// event to the previous event about the same record, and stores the leaves with every
// complete subtree hash they finish. Node encodes everything in a leaf but the index and
// `prev`, which only exist under the lock. Several events (a listing's page, a group of
// reads) cost one lock, one read of the size, one query for the previous events and two
// multi-row inserts, not all of that once per event (docs/PERFORMANCE.md, "Listing").
//
// Why inside PostgreSQL: the lock is held until commit. When the append was six statements
// sent from Node, the lock holder spent most of its time waiting for a busy event loop to
// send its next statement, and every audited request queued behind it
// (docs/PERFORMANCE.md, "Audit log"). Now the holder waits for Node at most once: for the
// COMMIT of a write's transaction; an append outside a transaction (`db` rather than a
// transaction: a read's event, a refusal) commits inside the same round trip.
//
// Called with a transaction, the event commits or rolls back with the action (fail closed).

/** Appends one event, in the caller's transaction or (given the pool) on its own; returns its index. */
export async function appendEvent(db: Db, e: AuditEntry, now = new Date()): Promise<number> {
  const [index] = await appendEvents(db, [e], now);
  return index!;
}

/**
 * Appends several events with one statement (a listing hands out several records at once,
 * [Note: grouped appends]); returns their indices in the order of `entries`. Empty: nothing
 * is sent.
 */
export async function appendEvents(db: Db, entries: readonly AuditEntry[], now = new Date()): Promise<number[]> {
  if (entries.length === 0) return [];
  const columns = {
    actorId: [] as (string | null)[],
    action: [] as string[],
    outcome: [] as string[],
    recordId: [] as (string | null)[],
    fileId: [] as (string | null)[],
    beforeIndex: [] as Buffer[],
    beforePrev: [] as Buffer[],
    afterPrev: [] as Buffer[],
    address: [] as (string | null)[],
    opening: [] as (Buffer | null)[],
  };
  // [Note: one draw of salts] One call of the CSPRNG for every event's salt, each event its
  // own 16 bytes of it: a listing's page of 200 events drew 200 times (randomBytes was 9 µs a
  // call in the server's profile of the listing, 0.5-0.9 µs a salt this way).
  const salts = randomBytes(AUDIT_SALT_BYTES * entries.length);
  for (const [n, e] of entries.entries()) {
    const recordId = e.recordId ?? null;
    const fileId = e.fileId ?? null;
    const address = e.ip ?? null;
    const opening = address === null ? null : randomBytes(AUDIT_ADDRESS_OPENING_BYTES);
    const parts = auditLeafParts({
      at: now.getTime(),
      actor: e.actor?.handle ?? null,
      action: e.action,
      outcome: e.outcome,
      recordId,
      fileId,
      subject: e.subject ?? null,
      ip: null,
      salt: salts.subarray(n * AUDIT_SALT_BYTES, (n + 1) * AUDIT_SALT_BYTES),
      ...(address === null || opening === null ? {} : { addressCommitment: auditAddressCommitment(address, opening) }),
    });
    columns.actorId.push(e.actor?.id ?? null);
    columns.action.push(e.action);
    columns.outcome.push(e.outcome);
    columns.recordId.push(recordId);
    columns.fileId.push(fileId);
    columns.beforeIndex.push(Buffer.from(parts.beforeIndex));
    columns.beforePrev.push(Buffer.from(parts.beforePrev));
    columns.afterPrev.push(Buffer.from(parts.afterPrev));
    columns.address.push(address);
    columns.opening.push(opening);
  }
  const c = columns;
  // One call appends them all, in this order, with consecutive indices
  // (migrations/0011_audit_append_many.ts). The address and its opening are written by the
  // same statement as the event, so neither exists without the other.
  const { rows } = await sql<{ first: string | null }>`
    with appended as (
      select public.audit_append_many(${now}::timestamptz, ${c.actorId}::uuid[], ${c.action}::text[], ${c.outcome}::text[],
        ${c.recordId}::uuid[], ${c.fileId}::uuid[], ${c.beforeIndex}::bytea[], ${c.beforePrev}::bytea[], ${c.afterPrev}::bytea[]) as first
    ), kept as (
      insert into audit_addresses (idx, at, address, opening)
      select appended.first + a.n - 1, ${now}::timestamptz, a.address, a.opening
      from appended, unnest(${c.address}::text[], ${c.opening}::bytea[]) with ordinality as a(address, opening, n)
      where a.address is not null
    )
    select first from appended`.execute(db);
  const first = rows[0]?.first;
  if (first === null || first === undefined) throw new Error('audit append wrote no events');
  return entries.map((_, n) => Number(first) + n);
}
