import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { FastifyInstance } from 'fastify';
import { Kysely, sql } from 'kysely';
import { buildApp, type LogOption } from '../server/src/app.ts';
import { configWith, type Config } from '../server/src/config.ts';
import { EMBEDDED_POOL_MAX, kyselyFor } from '../server/src/db/connect.ts';
import { serveOverSocket, startEmbedded } from '../server/src/db/embedded.ts';
import { migrateToLatest } from '../server/src/db/migrate.ts';
import type { Database } from '../server/src/db/schema.ts';
import type { KdfLimits } from '@testimony-vault/client';

// [Note: test databases]
// With DATABASE_URL set, every test file gets its own database on that server (created
// here, dropped in teardown), so files run in parallel. Without it, every file gets its
// own in-memory embedded PostgreSQL (PGlite behind the socket server, as in production).

type Tap = { teardown(fn: () => unknown): void };

export interface TestDatabase {
  db: Kysely<Database>;
  url: string;
  kind: 'postgres' | 'embedded';
}

export async function testDatabase(t: Tap, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  let result: TestDatabase;
  const admin = process.env.DATABASE_URL;
  if (admin) {
    const name = `tv_test_${randomBytes(6).toString('hex')}`;
    const root = kyselyFor(admin, 1);
    await sql`create database ${sql.id(name)}`.execute(root);
    const url = new URL(admin);
    url.pathname = `/${name}`;
    result = { db: kyselyFor(url.toString(), 10), url: url.toString(), kind: 'postgres' };
    t.teardown(async () => {
      await result.db.destroy();
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(root);
      await root.destroy();
    });
  } else {
    const template = options.migrate === false ? undefined : await migratedTemplate();
    // A CI run once lost a whole file to an embedded start that failed before any test ran
    // (exit 1, nothing said in its TAP). Say why in the file's own output, and try once more:
    // the database's start is not what any test here is about.
    const embedded = await startEmbedded('memory://', 10, template).catch((err: unknown) => {
      tapComment('the embedded database did not start; trying once more', err);
      return startEmbedded('memory://', 10, template);
    });
    result = { db: kyselyFor(embedded.connectionString, EMBEDDED_POOL_MAX), url: embedded.connectionString, kind: 'embedded' };
    t.teardown(async () => {
      await result.db.destroy();
      await embedded.close();
    });
  }
  if (options.migrate !== false) await migrateToLatest(result.db);
  return result;
}

/**
 * A migrated embedded database, dumped once and cached on disk under .tap/ (keyed by a
 * hash of the migrations), so each test file loads it instead of running initdb.
 */
export async function migratedTemplate(): Promise<Blob> {
  const dir = path.resolve(import.meta.dirname, '../migrations');
  const hash = createHash('sha256');
  for (const f of (await readdir(dir)).sort()) hash.update(f).update(await readFile(path.join(dir, f)));
  const file = path.resolve(import.meta.dirname, `../.tap/pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
  try {
    return new Blob([await readFile(file)]);
  } catch {
    const pglite = await PGlite.create('memory://');
    const served = await serveOverSocket(pglite, 2);
    const db = kyselyFor(served.connectionString, 2);
    await migrateToLatest(db);
    await db.destroy();
    await served.close();
    const dump = await pglite.dumpDataDir('none');
    await pglite.close();
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.from(await dump.arrayBuffer()));
    await rename(tmp, file);
    return dump;
  }
}

/**
 * Argon2id cost for tests: libsodium's minimum. Client and server floors are lowered to
 * match only in tests that are not about the floor (test/kdf-floor.test.ts uses the real one).
 */
export const TEST_KDF: KdfLimits = { opsLimit: 1, memLimit: 8192 };
export const testClient = { kdf: TEST_KDF, kdfFloor: TEST_KDF };

export interface TestServer {
  app: FastifyInstance;
  url: string;
  db: Kysely<Database>;
  config: Config;
  database: TestDatabase;
}

/** A migrated database and a server listening on a free loopback port; closed in teardown. */
const TEST_AUDIT_KEY = randomBytes(32).toString('base64');

/** Writes an error into the test file's own TAP output as comments (its stderr is not kept with it). */
export function tapComment(what: string, err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  console.log([what, ...text.split('\n')].map((line) => `# ${line}`).join('\n'));
}

export async function build(t: Tap, overrides: Partial<Config> = {}, logger: LogOption = false): Promise<TestServer> {
  try {
    return await buildOnce(t, overrides, logger);
  } catch (err) {
    tapComment('the test server did not start', err);
    throw err;
  }
}

async function buildOnce(t: Tap, overrides: Partial<Config>, logger: LogOption): Promise<TestServer> {
  const database = await testDatabase(t);
  const config = configWith({
    REGISTRATION: 'open',
    KDF_MIN_OPS: TEST_KDF.opsLimit,
    KDF_MIN_MEM_BYTES: TEST_KDF.memLimit,
    AUTH_RATE_LIMIT_MAX: 1000,
    // One log key per test process, never a key file in the working tree.
    AUDIT_SIGNING_KEY: TEST_AUDIT_KEY,
    ...overrides,
  });
  const app = await buildApp({ config, db: database.db, logger });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  return { app, url, db: database.db, config, database };
}

/** A fetch that remembers the method and path of every request, for asserting what was sent. */
export function recordingFetch(): { fetch: typeof fetch; calls: { method: string; path: string; body: string }[] } {
  const calls: { method: string; path: string; body: string }[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    calls.push({ method: init?.method ?? 'GET', path: url.pathname, body: typeof init?.body === 'string' ? init.body : '' });
    return fetch(input, init);
  };
  return { fetch: wrapped, calls };
}

let counter = 0;
/** A fresh valid handle per call (handles are unique per server). */
export function handle(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${counter}-${randomBytes(3).toString('hex')}`;
}

/** A fetch that remembers every request body and the session tokens the server hands out. */
export function capturingFetch() {
  const tokens: string[] = [];
  const requests: { method: string; path: string; body: string }[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    requests.push({ method: init?.method ?? 'GET', path: url.pathname + url.search, body: typeof init?.body === 'string' ? init.body : '' });
    const res = await fetch(input, init);
    if (url.pathname === '/v1/auth/login' && res.ok) tokens.push(((await res.clone().json()) as { token: string }).token);
    return res;
  };
  return { fetch: wrapped, tokens, requests };
}

/**
 * A part PUT's body as bytes, whatever the client sent it as (Node's client sends a stream of
 * its one body: [Note: part bodies in Node]), and the request to send on with the same bytes.
 */
export async function partBodyOf(init: RequestInit): Promise<{ bytes: Buffer; init: RequestInit }> {
  const bytes = Buffer.from(await new Response(init.body).arrayBuffer());
  return { bytes, init: { ...init, body: new Uint8Array(bytes), duplex: undefined } as RequestInit };
}
