import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Each account's contact list (pinned public keys of the people it shares with), encrypted
  // under the account's master key and signed by it: one row, replaced version by version.
  await db.schema
    .createTable('contact_lists')
    .addColumn('account_id', 'uuid', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('body', 'bytea', (c) => c.notNull())
    .addColumn('signature', 'bytea', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // A grant: the owner's signed statement that a grantee may read a record. Rows are kept
  // after revocation or expiry (the history of who had access); at most one is live.
  await db.schema
    .createTable('grants')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('record_id', 'uuid', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('grantee_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('granted_by', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    // The grantee's public keys as the grant names them (and the owner signed): the grant
    // can be checked on its own, whatever the accounts table says later.
    .addColumn('grantee_sign_public_key', 'bytea', (c) => c.notNull())
    .addColumn('grantee_box_public_key', 'bytea', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('signature', 'bytea', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('grants_live_idx')
    .on('grants')
    .columns(['record_id', 'grantee_id'])
    .unique()
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();
  await db.schema.createIndex('grants_grantee_idx').on('grants').columns(['grantee_id', 'granted_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('grants').execute();
  await db.schema.dropTable('contact_lists').execute();
}
