import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The record's id is chosen by the client: it is bound into the ciphertext's
  // associated data and the signature before the server ever sees the record.
  await db.schema
    .createTable('records')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('current_version', 'integer', (c) => c.notNull())
    .addColumn('current_key_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('records_owner_updated_idx')
    .on('records')
    .columns(['owner_id', 'updated_at desc', 'id desc'])
    .execute();

  await db.schema
    .createTable('record_versions')
    .addColumn('record_id', 'uuid', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('key_version', 'integer', (c) => c.notNull().check(sql`key_version >= 1`))
    .addColumn('author_id', 'uuid', (c) => c.notNull().references('accounts.id'))
    .addColumn('body', 'bytea', (c) => c.notNull())
    .addColumn('signature', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('record_versions_pk', ['record_id', 'version'])
    .execute();

  // Record keys sealed to each reader's X25519 key, one row per key version and reader.
  await db.schema
    .createTable('record_keys')
    .addColumn('record_id', 'uuid', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('recipient_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('sealed_key', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('record_keys_pk', ['record_id', 'key_version', 'recipient_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['record_keys', 'record_versions', 'records']) {
    await db.schema.dropTable(table).execute();
  }
}
