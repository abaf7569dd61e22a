// npm run migrate
// Applies pending migrations and exits non-zero on failure. A command, like verify-export,
// not part of the server: what it prints (migration names and outcomes) is its answer, not
// a log line. The server itself migrates at start (server/src/server.ts).
import { loadConfig } from '../server/src/config.ts';
import { openDatabase } from '../server/src/db/connect.ts';
import { migrateToLatest } from '../server/src/db/migrate.ts';

const config = loadConfig();
const handle = await openDatabase(config);
try {
  const { results } = await migrateToLatest(handle.db);
  for (const r of results ?? []) console.log(`${r.status.padEnd(8)} ${r.migrationName}`);
  if (!results?.length) console.log('schema is up to date');
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await handle.close();
}
