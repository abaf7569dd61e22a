// npm run reliability:load [-- --duration 10 --connections 1,16,64 --flood-connections 64 --accounts 16 --records 20 --phases paths,logins,flood]
// Concurrent clients against a server running as its own process (test/vault-process.ts:
// node + tsx on the sources) on a database of its own: created on the PostgreSQL of
// DATABASE_URL and dropped afterwards, else embedded in a temporary folder.
// docs/RELIABILITY.md "Load".
//   1. seed: accounts, records and open uploads, made with the client library (libsodium's
//      cheapest Argon2id on the client, as in the tests: seeding must not dominate the run);
//   2. read (GET /v1/records/{id}), list (GET /v1/records) and upload (PUT one 64 KiB part of
//      an open upload) at each --connections: requests/s, p50 and p99 of the 2xx answers,
//      anything else counted (there must be nothing else);
//   3. logins/s: real login requests (handle + login key captured at seeding and replayed, so
//      the client's own key derivation is out of the figure; what is measured is the server's
//      Argon2id of the login key), each from its own simulated address (TRUST_PROXY=true and
//      X-Forwarded-For: the per-address rate limit stays at its default and does not apply);
//   4. a cheap authenticated read (GET /v1/account) alone, then while a login flood runs
//      (wrong keys for real handles, a new address per request: --flood-connections
//      connections each sending as soon as it is answered, then 200/s in all over 256);
//      then the same on the same database served again with refusals answered at once
//      (AUTH_ARGON2_REFUSAL_DELAY_MS=0), and with the gate opened wide
//      (AUTH_ARGON2_CONCURRENCY=1024, AUTH_ARGON2_QUEUE=100000: the server before the gate).
// Every load runs in a child process of this script (autocannon), so neither the server nor
// the other load shares its event loop. Output: markdown tables.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { TEST_KDF, testDatabase } from '../../test/helper.ts';
import { startVault } from '../../test/vault-process.ts';
import { Vault } from '@testimony-vault/client/node';
import { CHUNK_OVERHEAD, MIN_CHUNK_SIZE, STREAM_HEADER_BYTES, WRAPPED_FILE_KEY_BYTES } from '@testimony-vault/protocol';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '1,16,64' },
    'flood-connections': { type: 'string', default: '64' },
    accounts: { type: 'string', default: '16' },
    records: { type: 'string', default: '20' },
    phases: { type: 'string', default: 'paths,logins,flood' },
    'load-child': { type: 'boolean', default: false },
  },
});

const positive = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
};

const NARRATIVE = 'What happened at the checkpoint, as I remember it. '.repeat(40); // about 2 KiB
const UPLOADS_PER_ACCOUNT = 4;
/** One whole encrypted chunk of the smallest chunk size the server accepts. */
const PART_BYTES = MIN_CHUNK_SIZE + CHUNK_OVERHEAD;
/** A login key that is nobody's: the flood's guesses. */
const WRONG_KEY = Buffer.alloc(32).toString('base64url');
/** The same database served again with other gate settings, for comparison. */
const ALTERNATIVES: [string, Record<string, string>][] = [
  ['refusals answered at once (hold 0)', { AUTH_ARGON2_REFUSAL_DELAY_MS: '0' }],
  ['opened wide (1024, queue 100,000): the server before the gate', { AUTH_ARGON2_CONCURRENCY: '1024', AUTH_ARGON2_QUEUE: '100000' }],
];
/** Enough connections for the paced flood that its pace, not the server's answers, sets its rate. */
const PACED_CONNECTIONS = 256;

// ---------------------------------------------------------------------------------------
// Seed data (crosses to the load processes over IPC only; never printed)

interface SeedAccount {
  handle: string;
  token: string;
  /** The JSON body its client sent to /v1/auth/login. */
  login: string;
  recordIds: string[];
  uploadIds: string[];
}

/**
 * The n-th simulated client address of a load process: only ever a header value, in the
 * IPv6 documentation prefix. Each in its own /64, as the rate limit counts a /64 as one client.
 */
function address(n: number, salt: number): string {
  return `2001:db8:${salt.toString(16)}:${(n % 65536).toString(16)}::1`;
}

async function seed(url: string, accounts: number, records: number): Promise<SeedAccount[]> {
  const out: SeedAccount[] = [];
  for (let a = 0; a < accounts; a++) {
    let token = '';
    let login = '';
    // Each seeding client has its own address, as the per-address limit would otherwise stop it.
    const client: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('x-forwarded-for', address(a, 0xffff));
      const res = await fetch(input, { ...init, headers });
      if (new URL(String(input)).pathname === '/v1/auth/login' && res.ok) {
        token = ((await res.clone().json()) as { token: string }).token;
        login = String(init?.body);
      }
      return res;
    };
    const handle = `load-${a}-${randomBytes(3).toString('hex')}`;
    const { vault } = await Vault.register({ server: url, handle, passphrase: `load passphrase ${a}`, kdf: TEST_KDF, kdfFloor: TEST_KDF, fetch: client });
    const recordIds: string[] = [];
    for (let r = 0; r < records; r++) recordIds.push((await vault.createRecord({ title: `load ${a}.${r}`, narrative: NARRATIVE })).id);
    const uploadIds: string[] = [];
    for (let u = 0; u < UPLOADS_PER_ACCOUNT; u++) uploadIds.push(await openUpload(url, token, recordIds[u % records]!));
    out.push({ handle, token, login, recordIds, uploadIds });
  }
  return out;
}

/** POST /v1/records/{id}/files as the raw protocol does (scripts/bench-files.ts plainUpload): parts of one 64 KiB chunk. */
async function openUpload(url: string, token: string, recordId: string): Promise<string> {
  const fileId = randomUUID();
  const res = await fetch(`${url}/v1/records/${recordId}/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      fileId,
      chunkSize: MIN_CHUNK_SIZE,
      partChunks: 1,
      header: Buffer.alloc(STREAM_HEADER_BYTES).toString('base64url'),
      wrappedKey: Buffer.alloc(WRAPPED_FILE_KEY_BYTES).toString('base64url'),
    }),
  });
  if (res.status !== 201) throw new Error(`opening an upload: ${res.status}`);
  return fileId;
}

// ---------------------------------------------------------------------------------------
// The load process

type PathKind = 'read' | 'list' | 'upload' | 'account' | 'login' | 'flood';

interface Job {
  kind: PathKind;
  url: string;
  connections: number;
  seconds: number;
  /** Requests per second from all connections together; unset: each sends as soon as answered. */
  overallRate?: number;
  accounts: SeedAccount[];
}

interface Outcome {
  kind: PathKind;
  connections: number;
  seconds: number;
  /** Answers by status. */
  statuses: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
  /** Of the 2xx answers, ms. */
  p50: number;
  p99: number;
  /** CPU the load process itself used, in cores (it shares the machine with the server). */
  clientCores: number;
}

interface Request {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

/** The n-th request of a job: spread over every account, record and upload. */
function requestMaker(job: Job): (n: number) => Request {
  const { accounts } = job;
  const auth = (a: SeedAccount) => ({ authorization: `Bearer ${a.token}` });
  const pick = (n: number) => accounts[n % accounts.length]!;
  const salt = randomBytes(2).readUInt16BE() % 0xffff; // 0xffff: the seeding clients
  const partBody = randomBytes(PART_BYTES);
  const uploads = accounts.flatMap((a) => a.uploadIds.map((id) => ({ id, account: a, next: 0 })));
  switch (job.kind) {
    case 'read':
      return (n) => {
        const a = pick(n);
        return { method: 'GET', path: `/v1/records/${a.recordIds[Math.floor(n / accounts.length) % a.recordIds.length]}`, headers: auth(a) };
      };
    case 'list':
      return (n) => ({ method: 'GET', path: '/v1/records', headers: auth(pick(n)) });
    case 'account':
      return (n) => ({ method: 'GET', path: '/v1/account', headers: auth(pick(n)) });
    case 'upload':
      return (n) => {
        const u = uploads[n % uploads.length]!;
        return { method: 'PUT', path: `/v1/files/${u.id}/parts/${u.next++}`, headers: { ...auth(u.account), 'content-type': 'application/octet-stream' }, body: partBody };
      };
    case 'login':
      return (n) => ({ method: 'POST', path: '/v1/auth/login', headers: { 'content-type': 'application/json', 'x-forwarded-for': address(n, salt) }, body: pick(n).login });
    case 'flood':
      return (n) => ({
        method: 'POST',
        path: '/v1/auth/login',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': address(n, salt) },
        body: JSON.stringify({ handle: pick(n).handle, loginKey: WRONG_KEY }),
      });
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function drive(job: Job): Promise<Outcome> {
  const make = requestMaker(job);
  let n = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const options: autocannon.Options = {
    url: job.url,
    connections: job.connections,
    duration: job.seconds,
    timeout: 30,
    ...(job.overallRate ? { overallRate: job.overallRate } : {}),
    requests: [{ setupRequest: (req) => ({ ...req, ...make(n++) }) }],
  };
  let instance!: autocannon.Instance;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(options, (err, r) => (err ? reject(err as Error) : resolve(r)));
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const cpuBefore = process.cpuUsage();
  const { duration, errors } = await finished;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return { kind: job.kind, connections: job.connections, seconds: duration, statuses, errors, p50: percentile(latencies, 50), p99: percentile(latencies, 99), clientCores: (cpu.user + cpu.system) / 1e6 / duration };
}

function serveLoad(): void {
  process.on('message', (job: Job) => {
    drive(job).then(
      (outcome) => process.send!(outcome),
      (err: unknown) => process.send!({ error: String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

/** One load process per job (a flood and a measured load run side by side). */
function runLoad(job: Job): Promise<Outcome> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--load-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<Outcome>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`load process exited ${code}`)));
    child.once('message', (m: Outcome | { error: string }) => {
      child.disconnect();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    child.send(job);
  });
}

// ---------------------------------------------------------------------------------------
// The server under load, as its own process

type Scope = { teardown(fn: () => unknown): void };

/**
 * A database of its own: a fresh one on the PostgreSQL of DATABASE_URL (dropped at the end),
 * else a folder for the embedded one. The server environment that names it.
 */
async function loadDatabase(scope: Scope): Promise<{ kind: string; env: Record<string, string> }> {
  if (process.env.DATABASE_URL) return { kind: 'PostgreSQL (DATABASE_URL)', env: { DATABASE_URL: (await testDatabase(scope, { migrate: false })).url } };
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tvault-load-'));
  scope.teardown(() => rm(dataDir, { recursive: true, force: true }));
  return { kind: 'embedded (PGlite)', env: { VAULT_DATA_DIR: dataDir } };
}

interface Server {
  url: string;
  /** User + system CPU seconds the server process has used (/proc/<pid>/stat, in clock ticks of 1/100 s). */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The server in its own process (test/vault-process.ts), with the per-address limit at its
 * default and client addresses taken from X-Forwarded-For (each simulated client has its own).
 */
async function startServer(env: Record<string, string>): Promise<Server> {
  const own: (() => unknown)[] = [];
  const vault = await startVault({ teardown: (fn) => void own.push(fn) }, { AUTH_RATE_LIMIT_MAX: '20', TRUST_PROXY: 'true', LOG_LEVEL: 'warn', ...env });
  return {
    url: vault.url,
    cpuSeconds: async () => {
      const stat = await readFile(`/proc/${vault.child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop: async () => {
      vault.child.kill('SIGTERM');
      await vault.exited;
      for (const fn of own) await fn();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Runs and tables

const fixed = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–');
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const count = (o: Outcome, pred: (status: number) => boolean) => Object.entries(o.statuses).reduce((s, [k, v]) => s + (pred(Number(k)) ? v : 0), 0);
const is2xx = (s: number) => s >= 200 && s < 300;
const rate = (o: Outcome, pred: (status: number) => boolean = is2xx) => count(o, pred) / o.seconds;
const others = (o: Outcome, expected: number[]) => {
  const rest = Object.entries(o.statuses).filter(([k]) => !expected.includes(Number(k)));
  return rest.length === 0 && o.errors === 0 ? '0' : [...rest.map(([k, v]) => `${v} × ${k}`), ...(o.errors ? [`${o.errors} errors`] : [])].join(', ');
};
const loads = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const problems: string[] = [];
function expectOnly(label: string, o: Outcome, expected: number[]): void {
  const rest = others(o, expected);
  if (rest !== '0') problems.push(`${label}: ${rest}`);
}

interface Settings {
  seconds: number;
  connections: number[];
  floodConnections: number;
  floodRate: number;
}

type JobMaker = (kind: PathKind, connections: number, seconds?: number, overallRate?: number) => Job;

async function pathsPhase(job: JobMaker, s: Settings): Promise<void> {
  const rows: Outcome[] = [];
  for (const kind of ['read', 'list', 'upload'] as const) {
    await runLoad(job(kind, 16, 2)); // warm-up, not counted
    for (const c of s.connections) {
      const o = await runLoad(job(kind, c));
      expectOnly(`${kind} at ${c}`, o, [200]);
      rows.push(o);
    }
  }
  console.log(
    table(
      ['path', 'connections', 'requests/s', 'p50 (ms)', 'p99 (ms)', 'other answers'],
      rows.map((o) => [pathLabel(o.kind), String(o.connections), fixed(rate(o)), fixed(o.p50, 1), fixed(o.p99, 1), others(o, [200])]),
    ),
  );
}

function loginRow(gate: string, o: Outcome): string[] {
  return [gate, String(o.connections), fixed(rate(o), 1), fixed(rate(o, (st) => st === 503)), fixed(o.p50, 1), fixed(o.p99, 1), others(o, [200, 503])];
}

async function loginsPhase(job: JobMaker, s: Settings): Promise<string[][]> {
  const rows: string[][] = [];
  for (const c of s.connections) {
    const o = await runLoad(job('login', c));
    expectOnly(`login at ${c}`, o, [200, 503]);
    rows.push(loginRow('defaults', o));
  }
  return rows;
}

interface FloodRun {
  gate: string;
  flood: string;
  alone: Outcome;
  during: Outcome;
  attack: Outcome;
  /** Cores the server used during the measured read run, alone and under the flood. */
  serverAlone: number;
  serverDuring: number;
}

/** A load run, and the cores the server used meanwhile (over the whole time, the load process's start included). */
async function measured(server: Server, job: Job): Promise<[Outcome, number]> {
  const before = await server.cpuSeconds();
  const t0 = performance.now();
  const o = await runLoad(job);
  return [o, ((await server.cpuSeconds()) - before) / ((performance.now() - t0) / 1000)];
}

/** The cheap read alone, then under each kind of flood (open-ended and paced). */
async function floodPhase(server: Server, job: JobMaker, s: Settings, gate: string): Promise<FloodRun[]> {
  const runs: FloodRun[] = [];
  await runLoad(job('account', 16, 2)); // warm-up, not counted
  const [alone, serverAlone] = await measured(server, job('account', 16));
  expectOnly(`${gate}: read alone`, alone, [200]);
  const kinds: [string, number, number | undefined][] = [
    [`${s.floodConnections} connections, each sending as soon as answered`, s.floodConnections, undefined],
    [`${s.floodRate}/s in all, over ${PACED_CONNECTIONS} connections`, PACED_CONNECTIONS, s.floodRate],
  ];
  for (const [flood, connections, overallRate] of kinds) {
    const flooding = runLoad(job('flood', connections, s.seconds + 3, overallRate));
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the flood reaches its pace
    const [during, serverDuring] = await measured(server, job('account', 16));
    const attack = await flooding;
    expectOnly(`${gate}, ${flood}: read`, during, [200]);
    expectOnly(`${gate}, ${flood}: flood`, attack, [401, 503]);
    runs.push({ gate, flood, alone, during, attack, serverAlone, serverDuring });
  }
  return runs;
}

function printFlood(runs: FloodRun[], s: Settings): void {
  console.log(`\nCheap read (GET /v1/account, 16 connections, ${s.seconds} s) alone and under a login flood (wrong keys for real handles, a new simulated address per request):\n`);
  console.log(
    table(
      ['gate', 'flood', 'read alone: req/s', 'p99 (ms)', 'read under flood: req/s', 'p99 (ms)', 'req/s ratio', 'flood: sent/s', 'checked/s (401)', 'refused/s (503)', 'server CPU alone / under flood (cores)', 'flood sender CPU (cores)'],
      runs.map(({ gate, flood, alone, during, attack, serverAlone, serverDuring }) => [
        gate,
        flood,
        fixed(rate(alone)),
        fixed(alone.p99, 1),
        fixed(rate(during)),
        fixed(during.p99, 1),
        fixed(rate(during) / rate(alone), 2),
        fixed(rate(attack, () => true)),
        fixed(rate(attack, (st) => st === 401), 1),
        fixed(rate(attack, (st) => st === 503)),
        `${fixed(serverAlone, 2)} / ${fixed(serverDuring, 2)}`,
        fixed(attack.clientCores, 2),
      ]),
    ),
  );
}

function printLogins(rows: string[][]): void {
  console.log('\nLogins (real requests, replayed: the server computes Argon2id, 19 MiB × 2 passes, of each login key; a new simulated address per request):\n');
  console.log(table(['gate', 'connections', 'logins/s (200)', 'refused/s (503 busy)', 'p50 of 200 (ms)', 'p99 of 200 (ms)', 'other answers'], rows));
}

async function main(): Promise<void> {
  const settings: Settings = {
    seconds: positive('duration', args.duration),
    connections: args.connections!.split(',').map((c) => positive('connections', c)),
    floodConnections: positive('flood-connections', args['flood-connections']),
    floodRate: 200,
  };
  const phases = new Set(args.phases!.split(','));
  const teardowns: (() => unknown)[] = [];
  const database = await loadDatabase({ teardown: (fn) => void teardowns.push(fn) });
  const loadBefore = loads();
  console.log(`\n### Load — ${database.kind}; ${new Date().toISOString()}; ${settings.seconds} s per run; ${args.accounts} accounts × ${args.records} records`);
  console.log(`Load average (1, 5, 15 min) at the start: ${loadBefore}.\n`);
  let server = await startServer(database.env);
  let accounts: SeedAccount[] = [];
  const job: JobMaker = (kind, connections, secs = settings.seconds, overallRate) => ({ kind, url: server.url, connections, seconds: secs, accounts, ...(overallRate ? { overallRate } : {}) });
  try {
    accounts = await seed(server.url, positive('accounts', args.accounts), positive('records', args.records));
    if (phases.has('paths')) await pathsPhase(job, settings);
    const logins = phases.has('logins') ? await loginsPhase(job, settings) : [];
    const floods = phases.has('flood') ? await floodPhase(server, job, settings, 'defaults (cores − 1 at once, queue 32, refusals held 500 ms)') : [];
    const alternatives = phases.has('flood') ? ALTERNATIVES : phases.has('logins') ? ALTERNATIVES.slice(-1) : [];
    for (const [gate, env] of alternatives) {
      await server.stop();
      server = await startServer({ ...database.env, ...env });
      if (phases.has('flood')) floods.push(...(await floodPhase(server, job, settings, gate)));
    }
    if (phases.has('logins')) {
      // The server is the last alternative: the gate opened wide.
      const o = await runLoad(job('login', 16));
      expectOnly('login at 16, gate opened wide', o, [200]);
      logins.push(loginRow('opened wide', o));
    }
    if (logins.length) printLogins(logins);
    if (floods.length) printFlood(floods, settings);
    console.log(`\nLoad average (1, 5, 15 min) at the end: ${loads()}.`);
    console.log(problems.length ? `\nUnexpected answers:\n${problems.map((p) => `- ${p}`).join('\n')}` : '\nChecked: no connection error, and no answer other than those expected (200; 503 busy for logins; 401 and 503 busy for the flood).');
  } finally {
    await server.stop();
    for (const fn of teardowns.reverse()) await fn();
  }
  if (problems.length) process.exitCode = 1;
}

function pathLabel(kind: PathKind): string {
  return { read: 'read `GET /v1/records/{id}`', list: `list \`GET /v1/records\` (${args.records} records)`, upload: 'upload `PUT /v1/files/{id}/parts/{n}` (64 KiB)', account: 'GET /v1/account', login: 'login', flood: 'flood' }[kind];
}

if (args['load-child']) serveLoad();
else await main();
