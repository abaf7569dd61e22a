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
// Every event is appended by one statement, `audit_append` (migrations/0006_audit_append.ts),
// which runs inside PostgreSQL: it takes a transaction-scoped advisory lock (held until
// commit, so appends from every instance are serialised and indices have no gaps), reads
// the size, links the event to the previous event about the same record, and stores the
// leaf with every complete subtree hash it finishes. Node encodes everything in the leaf
// but the index and `prev`, which only exist under the lock.
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
  const rows = entries.map((e, n) => {
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
      salt: randomBytes(AUDIT_SALT_BYTES),
      ...(address === null || opening === null ? {} : { addressCommitment: auditAddressCommitment(address, opening) }),
    });
    // Typed here: a VALUES list does not give its parameters the function's types.
    return sql`(${n}::int, ${now}::timestamptz, ${e.actor?.id ?? null}::uuid, ${e.action}::text, ${e.outcome}::text, ${recordId}::uuid, ${fileId}::uuid, ${Buffer.from(parts.beforeIndex)}::bytea, ${Buffer.from(parts.beforePrev)}::bytea, ${Buffer.from(parts.afterPrev)}::bytea, ${address}::text, ${opening}::bytea)`;
  });
  // The address and its opening are written by the same statement as the event, so neither
  // exists without the other.
  const { rows: out } = await sql<{ n: number; idx: number }>`
    with appended as (
      select v.n, v.at, v.address, v.opening,
        public.audit_append(v.at, v.actor_id, v.action, v.outcome, v.record_id, v.file_id, v.before_index, v.before_prev, v.after_prev) as idx
      from (values ${sql.join(rows)}) as v(n, at, actor_id, action, outcome, record_id, file_id, before_index, before_prev, after_prev, address, opening)
    ), kept as (
      insert into audit_addresses (idx, at, address, opening)
      select idx, at, address, opening from appended where address is not null
    )
    select n, idx from appended`.execute(db);
  if (out.length !== entries.length) throw new Error('audit append wrote a different number of events');
  const indices: number[] = [];
  for (const r of out) indices[r.n] = Number(r.idx);
  return indices;
}
