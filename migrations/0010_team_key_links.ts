import { sql, type Kysely } from 'kysely';

// Teams, bounded removals (docs/PROTOCOL.md "Key hierarchy"): a removal names its new case
// epochs by the digest of a list the server keeps beside the statement
// (team_statements.case_key_list), and each new case epoch's key wraps the epoch before it
// (team_case_key_links), so a removal no longer re-wraps every older case key.
//
// A chain with a removal made before this migration does not follow the new rules (its
// removal lists the case epochs inline, and the older case keys have no links), so no client
// of this build can replay it. Such teams held testimonies: the migration does not delete
// them, it stops and says which, so the operator decides (teams had not shipped in a
// release, so only a development database can hold one). Teams without a removal replay as
// before and are kept as they are.
export async function up(db: Kysely<unknown>): Promise<void> {
  const old = await sql<{ team_id: string }>`select distinct team_id from team_statements where body::jsonb ->> 'action' = 'remove' order by team_id`.execute(db);
  if (old.rows.length > 0) {
    const ids = old.rows.map((r) => r.team_id);
    throw new Error(
      `migration 0010: ${ids.length} team(s) have a member removal made by a build before case key links (${ids.join(', ')}); ` +
        'this build cannot read them and will not delete them. Keep a copy of the database, then remove those teams ' +
        '(delete from teams where id in (…), which removes their statements, keys and team records) and start again.',
    );
  }
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
