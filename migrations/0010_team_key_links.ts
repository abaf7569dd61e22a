import { sql, type Kysely } from 'kysely';

// Teams, bounded removals (docs/PROTOCOL.md "Key hierarchy"): a removal names its new case
// epochs by the digest of a list the server keeps beside the statement
// (team_statements.case_key_list), and each new case epoch's key wraps the epoch before it
// (team_case_key_links), so a removal no longer re-wraps every older case key.
//
// Teams have not shipped, and a chain with a removal made before this migration does not
// follow the new rules (its removal lists the case epochs inline, and the older case keys
// have no links): such teams are deleted with what cascades from them (statements, members,
// cases, keys, team records). Teams without a removal replay as before and are kept. No other
// table loses a row: audit events naming a deleted team stay in the log.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`delete from teams where id in (select team_id from team_statements where body::jsonb ->> 'action' = 'remove')`.execute(db);
  await db.schema.alterTable('team_statements').addColumn('case_key_list', 'bytea').execute();
  await db.schema
    .createTable('team_case_key_links')
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('case_id', 'uuid', (c) => c.notNull())
    // The newer epoch: `wrapped` is epoch case_epoch − 1's key under epoch case_epoch's.
    .addColumn('case_epoch', 'integer', (c) => c.notNull().check(sql`case_epoch >= 2`))
    .addColumn('wrapped', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_case_key_links_pk', ['team_id', 'case_id', 'case_epoch'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('team_case_key_links').execute();
  await db.schema.alterTable('team_statements').dropColumn('case_key_list').execute();
}
