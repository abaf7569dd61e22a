// npm run bench:audit [-- --quick --duration S --append-duration S --rounds N --clients N --sample N]
// What the audit log costs, measured side by side in one run (docs/PERFORMANCE.md "Audit log"):
//   1. appends: 1, 16 and 64 concurrent workers calling appendEvent, each in its own
//      transaction, against the benchmark's database; next to them two floors with the same
//      workers: a one-row commit under an advisory lock of its own, and one without a lock.
//      Afterwards the tree must have one leaf per append and its stored root must equal the
//      root over every leaf hash.
//   2. the read path: two servers (buildApp) on the same database, one with
//      recordAuditEvents: false, driven alternately (A B B A …) by the same load of concurrent
//      GET /v1/records/{id} (--clients, default 16) from a separate client process.
//   For both, one extra run samples what the backend holding the audit lock is doing
//   (PostgreSQL only): the answer to "why is it not faster".
//   3. proofs at scale: a tree of 1M and 10M synthetic leaves held in memory as one buffer
//      per level of complete-subtree hashes, served to merkle-tree.ts; inclusion and
//      consistency proofs for a random sample (--sample, default 1000), verified with
//      client-lib's merkle.
// Database: its own, created on the PostgreSQL of DATABASE_URL and dropped afterwards, else
// an in-memory embedded one (PGlite). --quick: 100k/1M leaves and shorter runs.
import { fork } from 'node:child_process';
import { hash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { buildApp } from '../server/src/app.ts';
import { configWith, type Config } from '../server/src/config.ts';
import { EMBEDDED_POOL_MAX, kyselyFor } from '../server/src/db/connect.ts';
import { migrateToLatest } from '../server/src/db/migrate.ts';
import type { Database } from '../server/src/db/schema.ts';
import { appendEvent, treeSize, type AuditEntry } from '../server/src/audit/log.ts';
import { storedRoot } from '../server/src/audit/proofs.ts';
import { consistencyProof, inclusionProof, rootHash, type LeafHashSource } from '../server/src/audit/merkle-tree.ts';
import { Vault, merkle, type KdfLimits } from '@testimony-vault/client/node';
import { scratchPostgres } from './bench-database.ts';

// ---------------------------------------------------------------------------------------
// Options

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    'append-duration': { type: 'string' },
    rounds: { type: 'string', default: '2' },
    clients: { type: 'string', default: '16' },
    sample: { type: 'string', default: '1000' },
    'load-child': { type: 'boolean', default: false },
  },
});

interface Options {
  quick: boolean;
  /** Seconds of each HTTP run. */
  httpSeconds: number;
  /** Seconds of each append measurement (per concurrency, per kind). */
  appendSeconds: number;
  /** Pairs of HTTP runs (with and without auditing), alternating in order. */
  rounds: number;
  clients: number;
  sample: number;
  treeSizes: number[];
}

function options(): Options {
  const quick = args.quick === true;
  const positive = (name: string, value: string | undefined, fallback: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!(n > 0)) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  return {
    quick,
    httpSeconds: positive('duration', args.duration, quick ? 3 : 10),
    appendSeconds: positive('append-duration', args['append-duration'], quick ? 2 : 5),
    rounds: Math.round(positive('rounds', args.rounds, 2)),
    clients: Math.round(positive('clients', args.clients, 16)),
    sample: Math.round(positive('sample', args.sample, 1000)),
    treeSizes: quick ? [100_000, 1_000_000] : [1_000_000, 10_000_000],
  };
}

const APPEND_CONCURRENCY = [1, 16, 64];
/** Records the read load cycles through. */
const RECORDS = 8;
/** A testimony-sized narrative, so a response is a few KiB like a real one. */
const NARRATIVE = 'The events of that night, as I remember them. '.repeat(45);
/** libsodium's minimum Argon2id: registration must not dominate a benchmark (as in the tests). */
const KDF: KdfLimits = { opsLimit: 1, memLimit: 8192 };
const HASH_SIZE = 32;

// ---------------------------------------------------------------------------------------
// Small helpers

interface LoopResult {
  count: number;
  failed: number;
  seconds: number;
  latenciesMs: number[];
}

/**
 * `concurrency` workers each run `op` back to back until `seconds` have passed (closed loop).
 * `op` returns false for a failure, which is counted apart.
 */
async function closedLoop(concurrency: number, seconds: number, op: (worker: number, n: number) => Promise<boolean>): Promise<LoopResult> {
  const latenciesMs: number[] = [];
  let count = 0;
  let failed = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async (w: number) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const t0 = performance.now();
      if (await op(w, n)) count++;
      else failed++;
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { count, failed, seconds: (performance.now() - start) / 1000, latenciesMs };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Latency {
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

function latency(latenciesMs: number[]): Latency {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const meanMs = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length);
  return { meanMs, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

function timeSync<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const result = fn();
  return [result, performance.now() - t0];
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const fixed = (x: number, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number) => fixed(bytes / 1024 / 1024);
const table = (head: string[], rows: string[][], right = head.map((_, i) => i > 0)) =>
  [`| ${head.join(' | ')} |`, `| ${right.map((r) => (r ? '---:' : '---')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function check(what: string, ok: boolean): void {
  if (!ok) throw new Error(`check failed: ${what}`);
}

// ---------------------------------------------------------------------------------------
// The benchmark's database

interface BenchDatabase {
  kind: string;
  /** Whether pg_stat_activity shows the backends (PostgreSQL; not PGlite's single session). */
  canSample: boolean;
  /** A pool on the database; on the embedded one always one connection ([Note: embedded pool]). */
  connect(poolMax: number): Kysely<Database>;
  close(): Promise<void>;
}

async function openBenchDatabase(): Promise<BenchDatabase> {
  const admin = process.env.DATABASE_URL;
  const bench = admin ? await postgresDatabase(admin) : await embeddedDatabase();
  const db = bench.connect(1);
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  return bench;
}

async function postgresDatabase(admin: string): Promise<BenchDatabase> {
  const scratch = await scratchPostgres(admin);
  return {
    kind: 'PostgreSQL (DATABASE_URL)',
    canSample: true,
    connect: (poolMax) => kyselyFor(scratch.url, poolMax),
    close: scratch.drop,
  };
}

async function embeddedDatabase(): Promise<BenchDatabase> {
  const { startEmbedded } = await import('../server/src/db/embedded.ts');
  const embedded = await startEmbedded('memory://', 16);
  return {
    kind: 'embedded (PGlite in memory; every pool is one connection, so concurrent appenders queue for it)',
    canSample: false,
    connect: () => kyselyFor(embedded.connectionString, EMBEDDED_POOL_MAX),
    close: () => embedded.close(),
  };
}

// ---------------------------------------------------------------------------------------
// Where the audit lock's time goes

interface LockTally {
  samples: number;
  /** The holder is idle in its transaction: PostgreSQL waits for Node to send the next statement. */
  waitingForServer: number;
  /** Flushing WAL (the commit's fsync, or waiting for another backend's). */
  walFlush: number;
  /** Running a statement, or anything else. */
  running: number;
}

/**
 * Samples every 20 ms, on a connection of its own, what the backend holding the audit log's
 * advisory lock (plugins/audit.ts appends: pg_advisory_xact_lock(hashtext('tvault:audit-log')),
 * a bigint key whose low 32 bits pg_locks shows as objid) is doing. Used in extra runs only.
 */
function sampleAuditLock(bench: BenchDatabase) {
  const db = bench.connect(1);
  const tally: LockTally = { samples: 0, waitingForServer: 0, walFlush: 0, running: 0 };
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const { rows } = await sql<{ state: string | null; wait: string | null }>`
        select a.state, a.wait_event as wait
        from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted
          and l.database = (select oid from pg_database where datname = current_database())
          and l.objid = (hashtext('tvault:audit-log')::bigint & 4294967295)`.execute(db);
      for (const r of rows) {
        tally.samples++;
        if (r.state === 'idle in transaction') tally.waitingForServer++;
        else if (r.wait?.startsWith('WAL')) tally.walFlush++;
        else tally.running++;
      }
      await sleep(20);
    }
  })();
  return {
    stop: async (): Promise<LockTally> => {
      sampling = false;
      await loop;
      await db.destroy();
      return tally;
    },
  };
}

/** Runs `fn` with the audit lock sampled, where the database allows it. */
async function withLockSampling<T>(bench: BenchDatabase, fn: () => Promise<T>): Promise<[T, LockTally | undefined]> {
  if (!bench.canSample) return [await fn(), undefined];
  const sampler = sampleAuditLock(bench);
  const outcome = await fn().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const tally = await sampler.stop();
  if ('error' in outcome) throw outcome.error;
  return [outcome.value, tally];
}

function describeLock(tally: LockTally | undefined): string {
  if (!tally) return 'not sampled (the embedded database has no per-connection activity to read)';
  if (tally.samples === 0) return 'no sample caught the lock held';
  const pct = (n: number) => `${((100 * n) / tally.samples).toFixed(0)} %`;
  return `idle in transaction, waiting for Node's next statement ${pct(tally.waitingForServer)}; flushing WAL at commit ${pct(tally.walFlush)}; running a statement ${pct(tally.running)} (${tally.samples} samples)`;
}

// ---------------------------------------------------------------------------------------
// 1. Appends under concurrent load

const BENCH_ACTOR = { id: randomUUID(), handle: 'bench-appender' };
const BENCH_RECORDS = Array.from({ length: 64 }, () => randomUUID());

/** A record read by a synthetic actor: the common event, with a per-record chain to follow. */
function syntheticEntry(worker: number, n: number): AuditEntry {
  return { actor: BENCH_ACTOR, action: 'record.read', outcome: 'ok', recordId: BENCH_RECORDS[(worker * 7 + n) % BENCH_RECORDS.length]! };
}

type TxnKind = 'append' | 'locked commit' | 'unlocked commit';

/** One transaction of the given kind; the floors write one 32-byte row to a scratch table. */
function transaction(db: Kysely<Database>, kind: TxnKind, worker: number, n: number): Promise<unknown> {
  return db.transaction().execute(async (trx) => {
    if (kind === 'append') return appendEvent(trx, syntheticEntry(worker, n));
    if (kind === 'locked commit') await sql`select pg_advisory_xact_lock(hashtext('tvault:bench-floor'))`.execute(trx);
    await sql`insert into bench_commits (h) values (${randomBytes(HASH_SIZE)})`.execute(trx);
  });
}

interface AppendRow {
  concurrency: number;
  results: Record<TxnKind, LoopResult>;
}

/** Appends (after a short warm-up) and the two floors, by the same workers. */
async function measureAppends(db: Kysely<Database>, concurrency: number, seconds: number): Promise<{ row: AppendRow; appended: number }> {
  const run = (kind: TxnKind, secs = seconds) => closedLoop(concurrency, secs, async (w, n) => (await transaction(db, kind, w, n), true));
  const warm = await run('append', 0.3);
  const results = { append: await run('append'), 'locked commit': await run('locked commit'), 'unlocked commit': await run('unlocked commit') };
  return { row: { concurrency, results }, appended: warm.count + results.append.count };
}

/** The concurrency of the extra, sampled append run. */
const SAMPLED_APPENDERS = 16;

interface AppendPhase {
  rows: AppendRow[];
  lock: LockTally | undefined;
  tree: TreeCheck;
}

async function appendPhase(bench: BenchDatabase, opts: Options): Promise<AppendPhase> {
  const setup = bench.connect(1);
  try {
    await sql`create table bench_commits (id bigserial primary key, h bytea not null)`.execute(setup);
    const sizeBefore = await treeSize(setup);
    const rows: AppendRow[] = [];
    let appended = 0;
    let lock: LockTally | undefined;
    for (const concurrency of APPEND_CONCURRENCY) {
      const db = bench.connect(concurrency);
      try {
        const measured = await measureAppends(db, concurrency, opts.appendSeconds);
        rows.push(measured.row);
        appended += measured.appended;
        if (concurrency === SAMPLED_APPENDERS) {
          const [extra, tally] = await withLockSampling(bench, () => closedLoop(concurrency, opts.appendSeconds, async (w, n) => (await transaction(db, 'append', w, n), true)));
          appended += extra.count;
          lock = tally;
        }
      } finally {
        await db.destroy();
      }
    }
    return { rows, lock, tree: await checkTree(setup, sizeBefore + appended) };
  } finally {
    await setup.destroy();
  }
}

interface TreeCheck {
  size: number;
  expected: number;
}

/** Every leaf present once, each leaf hash right, and the stored root equal to the root over all leaf hashes. */
async function checkTree(db: Kysely<Database>, expected: number): Promise<TreeCheck> {
  const size = await treeSize(db);
  check(`tree size ${size} = appends ${expected}`, size === expected);
  const rows = await db.selectFrom('audit_events').select(['idx', 'leaf', 'leaf_hash']).orderBy('idx').execute();
  check('one row per index, in order', rows.length === size && rows.every((r, i) => Number(r.idx) === i));
  check('every leaf hash is the hash of its leaf', rows.every((r) => equalBytes(merkle.hashLeaf(r.leaf), r.leaf_hash)));
  const computed = rootHash(rows.map((r) => r.leaf_hash));
  check('stored root = root over all leaf hashes', equalBytes(await storedRoot(db, size), computed));
  return { size, expected };
}

function printAppends({ rows, lock, tree }: AppendPhase, opts: Options): void {
  console.log(`\n### Appends (appendEvent, one transaction each; ${opts.appendSeconds} s per measure)\n`);
  const rate = (r: LoopResult) => fixed(r.count / r.seconds);
  console.log(
    table(
      ['concurrent workers', 'appends', 'events/s', 'mean latency (ms)', 'p99 (ms)', 'floor: locked 1-row commit (tx/s)', 'unlocked 1-row commit (tx/s)'],
      rows.map(({ concurrency, results }) => {
        const l = latency(results.append.latenciesMs);
        return [String(concurrency), fixed(results.append.count), rate(results.append), fixed(l.meanMs, 2), fixed(l.p99Ms, 2), rate(results['locked commit']), rate(results['unlocked commit'])];
      }),
    ),
  );
  console.log(`\nAudit lock holder in an extra run of ${SAMPLED_APPENDERS} workers (sampled every 20 ms, not in the figures above): ${describeLock(lock)}.`);
  console.log(`Checked afterwards: tree size ${fixed(tree.size)} = ${fixed(tree.expected)} appends (warm-ups included); every leaf hash matches its leaf; stored root (audit_nodes) = root over all leaf hashes.`);
}

// ---------------------------------------------------------------------------------------
// 2. The read path with and without auditing

interface LoadJob {
  url: string;
  token: string;
  recordIds: string[];
  clients: number;
  seconds: number;
}

interface LoadResult extends Latency {
  ok: number;
  failed: number;
  seconds: number;
}

/** In the load process: GET /v1/records/{id} from `clients` concurrent loops with keep-alive connections. */
async function driveLoad(job: LoadJob): Promise<LoadResult> {
  const headers = { authorization: `Bearer ${job.token}` };
  const result = await closedLoop(job.clients, job.seconds, async (w, n) => {
    const res = await fetch(`${job.url}/v1/records/${job.recordIds[(w + n) % job.recordIds.length]}`, { headers });
    await res.arrayBuffer();
    return res.status === 200;
  });
  return { ok: result.count, failed: result.failed, seconds: result.seconds, ...latency(result.latenciesMs) };
}

/** The load process's main: one job per message, answered with its result. */
function serveLoad(): void {
  process.on('message', (job: LoadJob) => {
    driveLoad(job).then(
      (r) => process.send!(r),
      (err: unknown) => process.send!({ error: String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

/** The load generator in a process of its own, so it does not share the servers' event loop. */
function startLoadProcess() {
  const child = fork(fileURLToPath(import.meta.url), ['--load-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    run: (job: LoadJob) =>
      new Promise<LoadResult>((resolve, reject) => {
        const exited = (code: number | null) => reject(new Error(`load process exited ${code}`));
        child.once('exit', exited);
        child.once('message', (m: LoadResult | { error: string }) => {
          child.off('exit', exited);
          if ('error' in m) reject(new Error(m.error));
          else resolve(m);
        });
        child.send(job);
      }),
    stop: () => {
      if (child.connected) child.disconnect();
    },
  };
}

interface BenchServer {
  label: string;
  audited: boolean;
  app: FastifyInstance;
  db: Kysely<Database>;
  url: string;
}

async function startServer(bench: BenchDatabase, config: Config, audited: boolean): Promise<BenchServer> {
  const db = bench.connect(config.DB_POOL_MAX);
  const app = await buildApp({ config, db, recordAuditEvents: audited });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { label: audited ? 'with audit' : 'without audit', audited, app, db, url };
}

/** Registers an account through the client library, creates records, and keeps the session token the login returned. */
async function benchSession(url: string): Promise<{ token: string; recordIds: string[] }> {
  const tokens: string[] = [];
  const capture: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (new URL(String(input)).pathname === '/v1/auth/login' && res.ok) tokens.push(((await res.clone().json()) as { token: string }).token);
    return res;
  };
  const handle = `bench-${randomBytes(4).toString('hex')}`;
  const { vault } = await Vault.register({ server: url, handle, passphrase: 'bench audit passphrase', kdf: KDF, kdfFloor: KDF, fetch: capture });
  const recordIds: string[] = [];
  for (let i = 0; i < RECORDS; i++) recordIds.push((await vault.createRecord({ title: `bench ${i}`, narrative: NARRATIVE })).id);
  const token = tokens.at(-1);
  if (!token) throw new Error('no session token seen');
  return { token, recordIds };
}

interface ReadRun {
  server: BenchServer;
  result: LoadResult;
  /** Events the run appended (tree size after − before). */
  events: number;
}

interface ReadPhase {
  runs: ReadRun[];
  /** The audit lock in one more audited run, sampled (not in `runs`). */
  lock: LockTally | undefined;
}

/**
 * Rounds of one run per server, alternating the order (A B, B A, …) so that drift cancels;
 * then one more audited run with the audit lock sampled.
 */
async function readPhase(bench: BenchDatabase, opts: Options): Promise<ReadPhase> {
  const config = configWith({
    REGISTRATION: 'open',
    KDF_MIN_OPS: KDF.opsLimit,
    KDF_MIN_MEM_BYTES: KDF.memLimit,
    AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
  });
  const audited = await startServer(bench, config, true);
  const unaudited = await startServer(bench, config, false);
  const load = startLoadProcess();
  try {
    const session = await benchSession(audited.url);
    const run = async (server: BenchServer, seconds: number): Promise<ReadRun> => {
      const before = await treeSize(server.db);
      const result = await load.run({ url: server.url, ...session, clients: opts.clients, seconds });
      return { server, result, events: (await treeSize(server.db)) - before };
    };
    for (const server of [audited, unaudited]) await run(server, Math.min(2, opts.httpSeconds)); // warm-up
    const runs: ReadRun[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      for (const server of round % 2 === 0 ? [audited, unaudited] : [unaudited, audited]) runs.push(await run(server, opts.httpSeconds));
    }
    for (const r of runs) {
      check(`${r.server.label}: no failed requests`, r.result.failed === 0);
      check(`${r.server.label}: one event per read`, r.events === (r.server.audited ? r.result.ok : 0));
    }
    const [, lock] = await withLockSampling(bench, () => run(audited, opts.httpSeconds));
    return { runs, lock };
  } finally {
    load.stop();
    for (const s of [audited, unaudited]) {
      await s.app.close();
      await s.db.destroy();
    }
  }
}

function printReads({ runs, lock }: ReadPhase, opts: Options): void {
  console.log(`\n### Read path (GET /v1/records/{id}, ${opts.clients} concurrent clients, ${opts.httpSeconds} s per run, ${runs.length} runs alternating)\n`);
  const summary = (audited: boolean) => {
    const mine = runs.filter((r) => r.server.audited === audited);
    const rps = mine.map((r) => r.result.ok / r.result.seconds);
    return { rps, mean: mean(rps), p50: mean(mine.map((r) => r.result.p50Ms)), p99: mean(mine.map((r) => r.result.p99Ms)) };
  };
  const on = summary(true);
  const off = summary(false);
  const ratio = on.mean / off.mean;
  const row = (label: string, s: typeof on) => [label, s.rps.map((x) => fixed(x)).join(', '), fixed(s.mean), fixed(s.p50, 1), fixed(s.p99, 1)];
  console.log(table(['server', 'runs (req/s)', 'mean req/s', 'p50 (ms)', 'p99 (ms)'], [row('with audit', on), row('without audit (recordAuditEvents: false)', off)]));
  const cost = (1 - ratio) * 100;
  console.log(`\nRatio with / without: ${ratio.toFixed(2)}; auditing costs ${cost.toFixed(0)} % of read throughput (target: under 25 %, ${cost < 25 ? 'met' : 'missed'}).`);
  console.log(`Audit lock holder in one more audited run (sampled every 20 ms, not in the figures above): ${describeLock(lock)}.`);
  console.log(`Checked: no failed request; every audited read appended exactly one event, the unaudited server none.`);
}

// ---------------------------------------------------------------------------------------
// 3. Proof sizes and verification time at scale

/** Synthetic leaf data: the index, 8 bytes big-endian. Only its hash matters to the tree. */
function leafData(i: number, out = Buffer.alloc(8)): Buffer {
  out.writeUInt32BE(Math.floor(i / 2 ** 32), 0);
  out.writeUInt32BE(i % 2 ** 32, 4);
  return out;
}

/** Level 0: every leaf hash, SHA-256(0x00 ‖ data), in one buffer. */
function leafLevel(n: number): Buffer {
  const level = Buffer.allocUnsafe(n * HASH_SIZE);
  const input = Buffer.alloc(9); // 0x00 ‖ data
  for (let i = 0; i < n; i++) {
    leafData(i, input.subarray(1));
    hash('sha256', input, 'buffer').copy(level, i * HASH_SIZE);
  }
  return level;
}

/** The level above: SHA-256(0x01 ‖ left ‖ right) for each complete pair. */
function parentLevel(children: Buffer): Buffer {
  const count = Math.floor(children.length / HASH_SIZE / 2);
  const level = Buffer.allocUnsafe(count * HASH_SIZE);
  const input = Buffer.alloc(1 + 2 * HASH_SIZE);
  input[0] = 0x01;
  for (let j = 0; j < count; j++) {
    children.copy(input, 1, 2 * j * HASH_SIZE, (2 * j + 2) * HASH_SIZE);
    hash('sha256', input, 'buffer').copy(level, j * HASH_SIZE);
  }
  return level;
}

/** levels[k] holds the hash of every complete subtree of 2^k leaves, in order. */
function buildLevels(n: number): Buffer[] {
  const levels = [leafLevel(n)];
  while (levels.at(-1)!.length >= 2 * HASH_SIZE) levels.push(parentLevel(levels.at(-1)!));
  return levels;
}

/** log2(len) when len is a power of two, else undefined. */
function powerOfTwoLevel(len: number): number | undefined {
  let level = 0;
  while (2 ** level < len) level++;
  return 2 ** level === len ? level : undefined;
}

/** The first `size` leaves as merkle-tree.ts reads them, complete subtrees served from the level buffers. */
function levelSource(levels: Buffer[], size: number): LeafHashSource {
  const node = (level: number, idx: number) => levels[level]!.subarray(idx * HASH_SIZE, (idx + 1) * HASH_SIZE);
  return {
    size,
    leafHash: (i) => node(0, i),
    storedSubtreeHash(start, end) {
      const level = powerOfTwoLevel(end - start);
      return level !== undefined && start % (end - start) === 0 ? node(level, start / (end - start)) : undefined;
    },
  };
}

/** The level buffers (node:crypto) must give what merkle-tree.ts and client-lib compute from the leaves alone. */
function selfCheckLevels(): void {
  const n = 1337;
  const levels = buildLevels(n);
  const leaves = Array.from({ length: n }, (_, i) => merkle.hashLeaf(leafData(i)));
  const source = levelSource(levels, n);
  check('level buffers: leaf hashes', leaves.every((h, i) => equalBytes(h, source.leafHash(i))));
  check('level buffers: root', equalBytes(rootHash(source), rootHash(leaves)));
  for (const size of [1, 2, 3, 1000, n]) check(`level buffers: root of ${size}`, equalBytes(rootHash(levelSource(levels, size)), rootHash(leaves.slice(0, size))));
  for (const i of [0, 1, 700, n - 1]) check(`level buffers: proof of ${i}`, inclusionProof(i, source).every((h, k) => equalBytes(h, inclusionProof(i, leaves)[k]!)));
}

interface ProofRow {
  size: number;
  kind: 'inclusion' | 'consistency';
  hashes: number[];
  /** The proof as GET /v1/audit/… sends it: { proof: [base64url, …] }. */
  jsonBytes: number[];
  generateUs: number;
  verifyUs: number;
}

/** Runs `fn` once to warm the JIT, then again timed: the second result and its milliseconds. */
function warmThenTime<T>(fn: () => T): [T, number] {
  fn();
  return timeSync(fn);
}

/** Verifies every proof (warm, then timed); returns µs per proof. */
function timedVerify(count: number, verify: (k: number) => void): number {
  const [, ms] = warmThenTime(() => {
    for (let k = 0; k < count; k++) verify(k);
  });
  return (ms * 1000) / count;
}

function expectRejected(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof merkle.MerkleProofError) return;
    throw err;
  }
  throw new Error(`check failed: ${what} was accepted`);
}

/** A copy of a proof with one bit of its first hash flipped. */
function tampered(proof: Uint8Array[]): Uint8Array[] {
  const copy = proof.map((h) => Uint8Array.from(h));
  copy[0]![0]! ^= 1;
  return copy;
}

function proofRow(size: number, kind: ProofRow['kind'], proofs: Uint8Array[][], generateMs: number, verifyUs: number): ProofRow {
  return {
    size,
    kind,
    hashes: proofs.map((p) => p.length),
    jsonBytes: proofs.map((p) => JSON.stringify({ proof: p.map((h) => Buffer.from(h).toString('base64url')) }).length),
    generateUs: (generateMs * 1000) / proofs.length,
    verifyUs,
  };
}

function measureInclusion(levels: Buffer[], n: number, sample: number): ProofRow {
  const source = levelSource(levels, n);
  const root = rootHash(source);
  const indices = Array.from({ length: sample }, () => randomInt(n));
  const [proofs, generateMs] = warmThenTime(() => indices.map((i) => inclusionProof(i, source)));
  const verifyUs = timedVerify(sample, (k) => merkle.verifyInclusion(source.leafHash(indices[k]!), indices[k]!, n, proofs[k]!, root));
  expectRejected('a tampered inclusion proof', () => merkle.verifyInclusion(source.leafHash(indices[0]!), indices[0]!, n, tampered(proofs[0]!), root));
  return proofRow(n, 'inclusion', proofs, generateMs, verifyUs);
}

/** From a random older size to the full tree, as a client does when it sees a new checkpoint. */
function measureConsistency(levels: Buffer[], n: number, sample: number): ProofRow {
  const source = levelSource(levels, n);
  const root = rootHash(source);
  const olds = Array.from({ length: sample }, () => randomInt(1, n));
  const oldRoots = olds.map((m) => rootHash(levelSource(levels, m)));
  const [proofs, generateMs] = warmThenTime(() => olds.map((m) => consistencyProof(m, source)));
  const verifyUs = timedVerify(sample, (k) => merkle.verifyConsistency(olds[k]!, n, proofs[k]!, oldRoots[k]!, root));
  const k = proofs.findIndex((p) => p.length > 0);
  expectRejected('a tampered consistency proof', () => merkle.verifyConsistency(olds[k]!, n, tampered(proofs[k]!), oldRoots[k]!, root));
  return proofRow(n, 'consistency', proofs, generateMs, verifyUs);
}

interface TreeBuild {
  size: number;
  seconds: number;
  bytes: number;
  rssBytes: number;
}

function merklePhase(opts: Options): { builds: TreeBuild[]; rows: ProofRow[] } {
  selfCheckLevels();
  const builds: TreeBuild[] = [];
  const rows: ProofRow[] = [];
  for (const n of opts.treeSizes) {
    const [levels, ms] = timeSync(() => buildLevels(n));
    builds.push({ size: n, seconds: ms / 1000, bytes: levels.reduce((s, l) => s + l.length, 0), rssBytes: process.memoryUsage.rss() });
    rows.push(measureInclusion(levels, n, opts.sample), measureConsistency(levels, n, opts.sample));
    levels.length = 0; // let the buffers go before the next, larger tree
  }
  return { builds, rows };
}

function printMerkle({ builds, rows }: { builds: TreeBuild[]; rows: ProofRow[] }, opts: Options): void {
  console.log(`\n### Proofs (${fixed(opts.sample)} random proofs per row; generated by merkle-tree.ts from complete-subtree hashes, verified by client-lib merkle)\n`);
  console.log(
    table(
      ['tree size', 'proof', 'hashes (mean / max)', 'bytes raw (mean)', 'bytes as JSON (mean)', 'generate (µs)', 'verify (µs)'],
      rows.map((r) => [
        fixed(r.size),
        r.kind,
        `${fixed(mean(r.hashes), 1)} / ${Math.max(...r.hashes)}`,
        fixed(mean(r.hashes) * HASH_SIZE),
        fixed(mean(r.jsonBytes)),
        fixed(r.generateUs, 1),
        fixed(r.verifyUs, 1),
      ]),
      [false, false, true, true, true, true, true],
    ),
  );
  console.log('');
  console.log(
    table(
      ['tree size', 'build, node:crypto (s)', 'level buffers (MiB)', 'process RSS after build (MiB)'],
      builds.map((b) => [fixed(b.size), fixed(b.seconds, 1), mib(b.bytes), mib(b.rssBytes)]),
    ),
  );
  console.log('\nChecked: level buffers give the same leaf hashes, roots and proofs as merkle-tree.ts over client-lib hashLeaf; every sampled proof verifies; a proof with one bit flipped is rejected.');
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = options();
  const bench = await openBenchDatabase();
  console.log(`\nAudit benchmark — database: ${bench.kind}; ${opts.quick ? '--quick; ' : ''}${new Date().toISOString()}`);
  try {
    printAppends(await appendPhase(bench, opts), opts);
    printReads(await readPhase(bench, opts), opts);
  } finally {
    await bench.close();
  }
  printMerkle(merklePhase(opts), opts);
}

if (args['load-child']) serveLoad();
else await main();
