import { sql, type Kysely } from 'kysely';

// Teams (docs/PROTOCOL.md "Teams"). The chain of signed statements is the truth; the other
// tables are what the server derives from it to authorize routes (members, cases, reviewers)
// and the key material clients sealed or wrapped (the server never holds a key that opens it).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('teams')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('head_seq', 'integer', (c) => c.notNull().check(sql`head_seq >= 0`))
    // The hash of statement head_seq (empty until the first statement is stored): what a team
    // record's author must name as its chain head.
    .addColumn('head_hash', 'bytea', (c) => c.notNull().defaultTo(sql`'\\x'::bytea`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('team_statements')
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    // The statement's JSON text exactly as signed.
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('signature', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('team_statements_pk', ['team_id', 'seq'])
    .execute();
  await db.schema
    .createTable('team_members')
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'account_id'])
    .execute();
  await db.schema.createIndex('team_members_account_idx').on('team_members').column('account_id').execute();
  await db.schema
    .createTable('team_cases')
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('case_id', 'uuid', (c) => c.notNull())
    .addColumn('current_epoch', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_cases_pk', ['team_id', 'case_id'])
    .execute();
  await db.schema
    .createTable('team_reviewers')
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('case_id', 'uuid', (c) => c.notNull())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('expires_at', 'timestamptz')
    .addPrimaryKeyConstraint('team_reviewers_pk', ['team_id', 'case_id', 'account_id'])
    .execute();
  await db.schema.createIndex('team_reviewers_account_idx').on('team_reviewers').column('account_id').execute();
  await db.schema
    .createTable('team_keys')
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('team_epoch', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('sealed', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_keys_pk', ['team_id', 'team_epoch', 'account_id'])
    .execute();
  await db.schema
    .createTable('team_case_keys')
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('case_id', 'uuid', (c) => c.notNull())
    .addColumn('case_epoch', 'integer', (c) => c.notNull())
    .addColumn('team_epoch', 'integer', (c) => c.notNull())
    .addColumn('wrapped', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_case_keys_pk', ['team_id', 'case_id', 'case_epoch', 'team_epoch'])
    .execute();
  await db.schema
    .createTable('team_share_keys')
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('case_id', 'uuid', (c) => c.notNull())
    .addColumn('case_epoch', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('sealed', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_share_keys_pk', ['team_id', 'case_id', 'case_epoch', 'account_id'])
    .execute();
  await db.schema
    .createTable('team_records')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('case_id', 'uuid', (c) => c.notNull())
    .addColumn('current_version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('team_records_case_idx').on('team_records').columns(['team_id', 'case_id', 'updated_at']).execute();
  await db.schema
    .createTable('team_record_versions')
    .addColumn('record_id', 'uuid', (c) => c.notNull().references('team_records.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('case_epoch', 'integer', (c) => c.notNull())
    .addColumn('chain_seq', 'integer', (c) => c.notNull())
    .addColumn('chain_head', 'bytea', (c) => c.notNull())
    .addColumn('author_id', 'uuid', (c) => c.notNull().references('accounts.id'))
    .addColumn('wrapped_key', 'bytea', (c) => c.notNull())
    .addColumn('body', 'bytea', (c) => c.notNull())
    .addColumn('signature', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('team_record_versions_pk', ['record_id', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['team_record_versions', 'team_records', 'team_share_keys', 'team_case_keys', 'team_keys', 'team_reviewers', 'team_cases', 'team_members', 'team_statements', 'teams']) {
    await db.schema.dropTable(t).execute();
  }
}
