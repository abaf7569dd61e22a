import t from 'tap';
import { sql } from 'kysely';
import { buildApp } from '../server/src/app.ts';
import { configWith } from '../server/src/config.ts';
import { kyselyFor } from '../server/src/db/connect.ts';
import { MigrationError, migrateToLatest, migrationsCurrent } from '../server/src/db/migrate.ts';
import { migrations } from '../migrations/index.ts';
import { testDatabase } from './helper.ts';

t.test('instances migrating at the same time take turns (advisory lock)', async (t) => {
  const { db, url } = await testDatabase(t, { migrate: false });
  const others = [kyselyFor(url, 2), kyselyFor(url, 2), kyselyFor(url, 2)];
  t.teardown(() => Promise.all(others.map((o) => o.destroy())));
  const results = await Promise.all([db, ...others].map((d) => migrateToLatest(d)));
  const applied = results.flatMap((r) => r.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  t.same(applied.sort(), Object.keys(migrations).sort(), 'each migration ran exactly once');
  t.ok(await migrationsCurrent(db));
});

t.test('/ready is 503 until migrations are current, then 200', async (t) => {
  const { db } = await testDatabase(t, { migrate: false });
  const app = await buildApp({ config: configWith(), db });
  t.teardown(() => app.close());
  const before = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(before.statusCode, 503);
  t.equal(before.json().code, 'VAULT_ERR_NOT_READY');
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the process is up all the same');
  await migrateToLatest(db);
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
});

t.test('a failing migration stops with a message naming it, and leaves nothing half-applied', async (t) => {
  const { db } = await testDatabase(t, { migrate: false });
  // Someone left a conflicting table behind: the first migration cannot create its own.
  await sql`create table sessions (id int)`.execute(db);
  const err = await migrateToLatest(db).catch((e: unknown) => e);
  t.type(err, MigrationError);
  t.match((err as Error).message, /0001_accounts failed/);
  const tables = await sql<{ n: string }>`select table_name as n from information_schema.tables where table_schema = 'public'`.execute(db);
  t.notOk(tables.rows.some((r) => r.n === 'accounts'), 'accounts table rolled back with the failed migration');
});
