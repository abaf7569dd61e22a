import { loadConfig } from '../config.ts';
import { openDatabase } from './connect.ts';
import { migrateToLatest } from './migrate.ts';

// `npm run migrate`: applies pending migrations and exits non-zero on failure. What it
// prints (migration names and outcomes) is this command's answer, not a server log.
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
