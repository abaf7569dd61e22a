import { sql, type Kysely } from 'kysely';

// Session labels (the device names in the sessions list) are encrypted by the client from
// now on (docs/PROTOCOL.md "Session labels"). Labels stored in the clear are not kept:
// they are cleared, then their column is dropped (a dropped column's values would
// otherwise stay in the rows until each row is rewritten), and the sessions they named
// are listed without a name until the device logs in again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update sessions set device = null where device is not null`.execute(db);
  await db.schema.alterTable('sessions').dropColumn('device').execute();
  await db.schema.alterTable('sessions').addColumn('label', 'bytea').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('label').execute();
  await db.schema.alterTable('sessions').addColumn('device', 'text').execute();
}
