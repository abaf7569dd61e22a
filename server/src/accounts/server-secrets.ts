import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

const cache = new WeakMap<object, Map<string, Buffer>>();

/**
 * A random secret created once and shared by every instance through the database.
 * Used only where a database thief gains nothing from it (the fake pre-login salts
 * hide which handles exist from online callers, not from someone holding the table).
 */
export async function serverSecret(db: Kysely<Database>, name: string): Promise<Buffer> {
  let perDb = cache.get(db);
  if (!perDb) cache.set(db, (perDb = new Map()));
  const known = perDb.get(name);
  if (known) return known;
  await db.insertInto('server_secrets').values({ name, value: randomBytes(32) }).onConflict((oc) => oc.doNothing()).execute();
  const row = await db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  perDb.set(name, row.value);
  return row.value;
}
