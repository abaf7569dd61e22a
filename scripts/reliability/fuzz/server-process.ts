import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testDatabase } from '../../../test/helper.ts';
import { startVault } from '../../../test/vault-process.ts';

// The server under test, in its own process as in production (node + tsx on the sources),
// on a database of its own: a fresh one on the PostgreSQL of DATABASE_URL (dropped at the
// end), else the embedded one in a temporary folder. The test suite's helpers do both.

export interface ServerProcess {
  url: string;
  kind: string;
  /** The exit code if the process has ended (it must not have). */
  exitCode(): number | null;
  /** Lines the server logged at level error or fatal (a 5xx, even one no client saw). */
  errorsLogged(): number;
  /** Everything the server printed (its log, at the production level `info`). */
  output(): string;
  /** Where its database is, for a look at it once the server has stopped. */
  database: { url: string } | { dataDir: string };
  /** Stops the server process (SIGTERM), keeping its database. */
  halt(): Promise<void>;
  /** Stops it if running, then drops or deletes its database. */
  stop(): Promise<void>;
}

/** `log`: a file for the server's own log (errors behind any 5xx are there, never in answers). */
export async function startServer(log?: string): Promise<ServerProcess> {
  const teardowns: (() => unknown)[] = [];
  const scope = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
  let database: Record<string, string>;
  let where: ServerProcess['database'];
  if (process.env.DATABASE_URL) {
    const url = (await testDatabase(scope, { migrate: false })).url;
    database = { DATABASE_URL: url };
    where = { url };
  } else {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tvault-fuzz-'));
    teardowns.push(() => rm(dataDir, { recursive: true, force: true }));
    database = { VAULT_DATA_DIR: dataDir };
    where = { dataDir };
  }
  // No per-address limit on the authentication routes: the run comes from one address and
  // must reach their checks. (Cheap Argon2id for the seeded accounts is set by startVault.)
  const vault = await startVault(scope, { ...database, AUTH_RATE_LIMIT_MAX: '1000000', LOG_LEVEL: 'info' });
  return {
    url: vault.url,
    kind: process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded (PGlite)',
    exitCode: () => vault.child.exitCode,
    errorsLogged: () => vault.output().split('\n').filter((line) => /^\{"level":(50|60),/.test(line)).length,
    output: () => vault.output(),
    database: where,
    halt: async () => {
      if (vault.child.exitCode === null && vault.child.signalCode === null) vault.child.kill('SIGTERM');
      await vault.exited;
    },
    stop: async () => {
      if (log) await writeFile(log, vault.output());
      for (const fn of teardowns.reverse()) await fn();
    },
  };
}
