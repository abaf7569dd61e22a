import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import type { Database } from './schema.ts';
import { databaseSocket } from '../files/copy-out.ts';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'embedded';
  /** Closes the pool, then the embedded database if there is one. */
  close(): Promise<void>;
}

// int8 (counts, sums) as JavaScript numbers: every int8 this schema returns is far
// below 2^53 (sizes in bytes, row counts).
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

// [Note: embedded pool]
// PGlite is one PostgreSQL session. pglite-socket's multiplexer pins a connection to that
// session only while a transaction is open, so extended-protocol batches (Parse/Bind/
// Execute/Sync) of two connections outside a transaction can interleave and bind against
// each other's statements (electric-sql/pglite#1046, open as of pglite-socket 0.2.17).
// One pool connection per process avoids it and costs no concurrency: the single session
// runs one statement at a time anyway, and the multiplexer already makes every other
// connection wait while a transaction is open.
export const EMBEDDED_POOL_MAX = 1;

const pools = new WeakMap<Kysely<Database>, pg.Pool>();

/** Default of DB_CONNECT_TIMEOUT_SECONDS, for tools and tests that build a pool themselves. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A pool of at most `poolMax` connections. `connectTimeoutMs` bounds both connecting and
 * waiting for a free connection; past it the query fails (503, plugins/errors.ts).
 */
export function kyselyFor(connectionString: string, poolMax: number, connectTimeoutMs = CONNECT_TIMEOUT_MS): Kysely<Database> {
  // TCP keepalive: a connection whose peer goes silent in the middle of a query (a host that
  // vanished, a cut network that resets nothing) is found dead in about a minute, rather than
  // after the kernel's default of more than two hours; its query then fails with 503.
  // Sockets that read into one buffer each ([Note: database reads into one buffer]). So code
  // that pauses a pool connection's socket and reads it through 'readable' (pg-copy-streams'
  // `to`, say) would wait forever: such streaming belongs on a client of its own, or on
  // files/copy-out.ts (found by the review of 2026-12-07).
  const pool = new pg.Pool({ connectionString, max: poolMax, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true, keepAliveInitialDelayMillis: 30_000, stream: databaseSocket });
  // [Note: lost connections]
  // A connection that dies (database restarted, network cut) must not crash the process.
  // The pool listens for errors on idle clients only; a client that is checked out (by
  // kysely, between the queries of a transaction, or in the middle of one) emits its error
  // with no listener, which Node turns into an uncaught exception. So every client gets a
  // listener of its own for its whole life: its pending and later queries fail (the request
  // answers 503, plugins/errors.ts), and the pool discards it when it is released, since it
  // is no longer queryable.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

/** The pg pool behind a Kysely instance, for queries kysely cannot express (binary results). */
export function poolOf(db: Kysely<Database>): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('this Kysely instance was not made by kyselyFor');
  return pool;
}

/** A real PostgreSQL when DATABASE_URL is set, otherwise the embedded one in VAULT_DATA_DIR. */
export async function openDatabase(config: Config): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) {
    const db = kyselyFor(config.DATABASE_URL, config.DB_POOL_MAX, config.DB_CONNECT_TIMEOUT_SECONDS * 1000);
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  // Loaded only when needed: PGlite and its WASM would otherwise cost memory on a server
  // that talks to a real PostgreSQL.
  const { startEmbedded } = await import('./embedded.ts');
  const embedded = await startEmbedded(config.VAULT_DATA_DIR, config.DB_POOL_MAX, undefined, config.EMBEDDED_SHARED_BUFFERS_MIB);
  const db = kyselyFor(embedded.connectionString, EMBEDDED_POOL_MAX, config.DB_CONNECT_TIMEOUT_SECONDS * 1000);
  return {
    db,
    kind: 'embedded',
    close: async () => {
      await db.destroy();
      await embedded.close();
    },
  };
}
