import { type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The audit log: one row per event, in log order. No foreign keys: events outlive the
  // accounts, records and files they name. `leaf` is the exact leaf data (docs/PROTOCOL.md
  // "Audit log"); the other columns repeat parts of it for queries.
  await db.schema
    .createTable('audit_events')
    .addColumn('idx', 'bigint', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor_id', 'uuid')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('record_id', 'uuid')
    .addColumn('file_id', 'uuid')
    .addColumn('leaf', 'bytea', (c) => c.notNull())
    .addColumn('leaf_hash', 'bytea', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_record_idx').on('audit_events').columns(['record_id', 'idx']).execute();

  // Hashes of the complete subtrees of the Merkle tree: (level, index) covers leaves
  // [index·2^level, (index+1)·2^level). Level 0 holds the leaf hashes. Written by the append
  // that completes each subtree; never changed afterwards.
  await db.schema
    .createTable('audit_nodes')
    .addColumn('level', 'smallint', (c) => c.notNull())
    .addColumn('idx', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'idx'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_nodes').execute();
  await db.schema.dropTable('audit_events').execute();
}
