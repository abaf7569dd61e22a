import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('handle', 'text', (c) => c.notNull().unique())
    .addColumn('is_admin', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('kdf_algorithm', 'text', (c) => c.notNull())
    .addColumn('kdf_salt', 'bytea', (c) => c.notNull())
    .addColumn('kdf_ops_limit', 'integer', (c) => c.notNull())
    .addColumn('kdf_mem_limit', 'integer', (c) => c.notNull())
    .addColumn('login_verifier', 'text', (c) => c.notNull())
    .addColumn('wrapped_master_key', 'bytea', (c) => c.notNull())
    .addColumn('recovery_verifier', 'text', (c) => c.notNull())
    .addColumn('recovery_wrapped_master_key', 'bytea', (c) => c.notNull())
    .addColumn('sign_public_key', 'bytea', (c) => c.notNull())
    .addColumn('box_public_key', 'bytea', (c) => c.notNull())
    .addColumn('identity_signature', 'bytea', (c) => c.notNull())
    .addColumn('wrapped_private_keys', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('token_hash', 'bytea', (c) => c.notNull().unique())
    .addColumn('device', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_account_idx').on('sessions').column('account_id').execute();

  await db.schema
    .createTable('invites')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('code_hash', 'bytea', (c) => c.notNull().unique())
    .addColumn('created_by', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('used_by', 'uuid', (c) => c.references('accounts.id').onDelete('set null'))
    .execute();

  await db.schema
    .createTable('server_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bytea', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['server_secrets', 'invites', 'sessions', 'accounts']) {
    await db.schema.dropTable(table).execute();
  }
}
