import { type Kysely } from 'kysely';

// Client addresses of audit events (AUDIT_LOG_IP), kept apart from the log: the leaf holds
// only a commitment to the address ([Note: audit addresses] in protocol/src/audit.ts), and
// this row, the address with the commitment's opening, is deleted after
// AUDIT_IP_RETENTION_DAYS. `at` repeats the event's time so the sweep needs no join.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_addresses')
    .addColumn('idx', 'bigint', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('opening', 'bytea', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_addresses_at_idx').on('audit_addresses').column('at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_addresses').execute();
}
