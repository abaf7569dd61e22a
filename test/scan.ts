import { sql, type Kysely } from 'kysely';
import type { Database } from '../server/src/db/schema.ts';

// A thief's view of the database: every row of every table as text (bytea shown as hex,
// as pg_dump writes it), searched for secrets in every encoding the code base uses.

export type Needle = { name: string; value: Uint8Array | string };

function forms(value: Uint8Array | string): string[] {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  const out = [bytes.toString('hex'), bytes.toString('base64url'), bytes.toString('base64').replace(/=+$/, '')];
  if (typeof value === 'string') out.push(value, value.toLowerCase());
  return out.filter((f) => f.length >= 8);
}

export async function dumpAllTables(db: Kysely<Database>): Promise<string> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db);
  const parts: string[] = [];
  for (const { name } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(name)} t`.execute(db);
    for (const r of rows.rows) parts.push(`${name}: ${r.row}`);
  }
  return parts.join('\n').toLowerCase();
}

/** The names of the needles found in the haystack, in any of their encodings. */
export function findNeedles(haystack: string, needles: Needle[]): string[] {
  const lower = haystack.toLowerCase();
  return needles.filter((n) => forms(n.value).some((f) => lower.includes(f.toLowerCase()))).map((n) => n.name);
}
