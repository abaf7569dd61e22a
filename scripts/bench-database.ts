// A database of its own for one benchmark run, on the PostgreSQL of an administrator URL,
// dropped afterwards (with its connections) so runs never see each other's rows.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { kyselyFor } from '../server/src/db/connect.ts';

export async function scratchPostgres(admin: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tv_bench_${randomBytes(6).toString('hex')}`;
  const root = kyselyFor(admin, 1);
  await sql`create database ${sql.id(name)}`.execute(root);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(root);
      await root.destroy();
    },
  };
}
