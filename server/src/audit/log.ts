import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { randomBytes } from 'node:crypto';
import { AUDIT_SALT_BYTES, encodeAuditEvent, type AuditAction, type AuditOutcome } from '../../../client-lib/src/protocol/audit.ts';
import { hashChildren, hashLeaf } from '../../../client-lib/src/merkle/index.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** What a route says happened; the log adds the index, the time and the record chain. */
export interface AuditEntry {
  actor: { id: string; handle: string } | null;
  action: AuditAction;
  outcome: AuditOutcome;
  recordId?: string | null;
  fileId?: string | null;
  subject?: string | null;
  ip?: string | null;
}

/** The advisory lock that serialises appends across server instances. */
const AUDIT_LOCK = 'tvault:audit-log';

/** The number of events in the log (the tree size). */
export async function treeSize(db: Db): Promise<number> {
  const row = await db.selectFrom('audit_events').select(sql<string | null>`max(idx)`.as('n')).executeTakeFirstOrThrow();
  return row.n === null ? 0 : Number(row.n) + 1;
}

// [Note: audit appends]
// An append runs inside the action's own transaction, as its last step: it takes a
// transaction-scoped advisory lock (held until commit, so appends from every instance
// are serialised and indices have no gaps), reads the size, links the event to the
// previous event about the same record, and stores the leaf with every complete subtree
// hash it finishes. If any of it fails, the action's transaction rolls back with it.

/** Appends one event in the caller's transaction; returns its index. */
export async function appendEvent(trx: Transaction<Database>, e: AuditEntry, now = new Date()): Promise<number> {
  await sql`select pg_advisory_xact_lock(hashtext(${AUDIT_LOCK}))`.execute(trx);
  const index = await treeSize(trx);
  const recordId = e.recordId ?? null;
  const prev = recordId
    ? await trx.selectFrom('audit_events').select('leaf_hash').where('record_id', '=', recordId).orderBy('idx', 'desc').limit(1).executeTakeFirst()
    : undefined;
  const leaf = encodeAuditEvent({
    index,
    at: now.getTime(),
    actor: e.actor?.handle ?? null,
    action: e.action,
    outcome: e.outcome,
    recordId,
    fileId: e.fileId ?? null,
    subject: e.subject ?? null,
    prev: prev?.leaf_hash ?? null,
    ip: e.ip ?? null,
    salt: randomBytes(AUDIT_SALT_BYTES),
  });
  const leafHash = hashLeaf(leaf);
  await trx
    .insertInto('audit_events')
    .values({
      idx: index,
      at: now,
      actor_id: e.actor?.id ?? null,
      action: e.action,
      outcome: e.outcome,
      record_id: recordId,
      file_id: e.fileId ?? null,
      leaf: Buffer.from(leaf),
      leaf_hash: Buffer.from(leafHash),
    })
    .execute();
  // The leaf completes the subtrees of every level at which its index ends in 1 bits.
  const nodes = [{ level: 0, idx: index, hash: Buffer.from(leafHash) }];
  let hash = leafHash;
  for (let level = 0, i = index; i % 2 === 1; level++, i = (i - 1) / 2) {
    const left = await trx.selectFrom('audit_nodes').select('hash').where('level', '=', level).where('idx', '=', i - 1).executeTakeFirstOrThrow();
    hash = hashChildren(left.hash, hash);
    nodes.push({ level: level + 1, idx: (i - 1) / 2, hash: Buffer.from(hash) });
  }
  await trx.insertInto('audit_nodes').values(nodes).execute();
  return index;
}
