import { sql, type Kysely } from 'kysely';
import type { Database } from '../server/src/db/schema.ts';

// What no client can check, read from the database directly after a crash or a restore.

/** Every sign of a half-written write: a record without its versions, a complete file missing a chunk, a gap in the log. */
export async function halfWritten(db: Kysely<Database>): Promise<string[]> {
  const problems: string[] = [];
  const records = await sql<{ current_version: number; versions: number; top: number | null }>`
    select r.current_version, count(v.version)::int as versions, max(v.version) as top
    from records r left join record_versions v on v.record_id = r.id group by r.id, r.current_version`.execute(db);
  for (const r of records.rows) {
    if (r.versions !== r.current_version || r.top !== r.current_version) problems.push(`a record at version ${r.current_version} has ${r.versions} versions`);
  }
  const files = await sql<{ total_chunks: number; chunks: number; top: number | null }>`
    select f.total_chunks, count(c.idx)::int as chunks, max(c.idx) as top
    from files f left join file_chunks c on c.file_id = f.id where f.completed_at is not null group by f.id, f.total_chunks`.execute(db);
  for (const f of files.rows) {
    if (f.chunks !== f.total_chunks || f.top !== f.total_chunks - 1) problems.push(`a complete file of ${f.total_chunks} chunks has ${f.chunks}`);
  }
  const audit = await sql<{ n: number; top: number | null }>`select count(*)::int as n, max(idx)::int as top from audit_events`.execute(db);
  const a = audit.rows[0]!;
  if ((a.top ?? -1) !== a.n - 1) problems.push(`the audit log of ${a.n} events ends at index ${a.top}`);
  return problems;
}

/** Rows per table, to compare a restored database with its source. */
export async function rowCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const tables = ['accounts', 'sessions', 'records', 'record_versions', 'record_keys', 'files', 'file_chunks', 'grants', 'contact_lists', 'audit_events', 'audit_nodes'] as const;
  const out: Record<string, number> = {};
  for (const name of tables) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(name)}`.execute(db);
    out[name] = rows[0]!.n;
  }
  return out;
}
