import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

// The client addresses of audit events and the openings of their leaves' commitments
// ([Note: audit addresses] in protocol/src/audit.ts), kept for AUDIT_IP_RETENTION_DAYS.

const DAY_MS = 24 * 3600 * 1000;

/** How often the running server erases the addresses whose time ran out (and once at start). */
export const ADDRESS_SWEEP_INTERVAL_MS = 3600 * 1000;

/** Deletes every address recorded more than `retentionDays` before `now`; returns how many. */
export async function eraseExpiredAddresses(db: Kysely<Database>, retentionDays: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
  const res = await db.deleteFrom('audit_addresses').where('at', '<', cutoff).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** The address of one event and its opening, or undefined (none recorded, or erased). */
export async function eventAddress(db: Kysely<Database>, index: number) {
  return db.selectFrom('audit_addresses').select(['address', 'opening']).where('idx', '=', sql<number>`${index}::bigint`).executeTakeFirst();
}
