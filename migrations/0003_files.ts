import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per evidence file; its encrypted chunks live in file_chunks, committed a part
  // (a run of whole chunks) per transaction, so a dropped connection loses no committed part.
  await db.schema
    .createTable('files')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('record_id', 'uuid', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('owner_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('chunk_size', 'integer', (c) => c.notNull())
    .addColumn('part_chunks', 'integer', (c) => c.notNull())
    .addColumn('header', 'bytea', (c) => c.notNull())
    // The file key and header wrapped under the owner's master key, so an interrupted
    // upload can resume from any of the owner's processes or devices.
    .addColumn('wrapped_key', 'bytea', (c) => c.notNull())
    .addColumn('declared_size', 'bigint')
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('total_chunks', 'integer')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('files_record_idx').on('files').column('record_id').execute();
  await db.schema.createIndex('files_owner_idx').on('files').column('owner_id').execute();

  await db.schema
    .createTable('file_chunks')
    .addColumn('file_id', 'uuid', (c) => c.notNull().references('files.id').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull().check(sql`idx >= 0`))
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_chunks_pk', ['file_id', 'idx'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('file_chunks').execute();
  await db.schema.dropTable('files').execute();
}
