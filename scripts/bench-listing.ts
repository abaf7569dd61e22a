// npm run bench:listing [-- --records N --runs N --page N --no-analyze]
// Listing every record, verified by the client (issue 19, docs/PERFORMANCE.md "Listing"):
// the server in a process of its own (buildApp on a throwaway database: PostgreSQL of
// DATABASE_URL, else embedded), one account holding --records records, then in one client
// process, each measure --runs times with the engines alternated, the best kept:
//   - baseline: the same pages (GET /v1/records) fetched and parsed, nothing verified;
//   - the first page of 50, verified (vault.listRecords);
//   - every record, verified: by allRecords (the next page asked for while one is verified),
//     again in the same session (sealed keys already opened), page after page, and the
//     client alone: the pages of that walk answered from memory in a new session;
// each cold measure in a session of its own (logged in, not timed);
// for native libsodium (sodium-native, where it loads) and the WebAssembly build; for the
// whole-list measures, also the CPU seconds of the client, the server's Node process and the
// PostgreSQL backends serving its database (read from /proc: the bench runs them on one machine).
// Seeding: the records are made by the library's own createRecord, whose request is kept
// instead of sent (the fetch below), and inserted into the database in batches by the
// server's process: the same rows a POST would write, minus its audit event.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Vault } from '@testimony-vault/client/node';
import { useSodiumEngine } from '../client-lib/src/crypto/sodium.ts';
import { loadNativeSodium } from '../client-lib/src/node/native-sodium.ts';
import { build, handle, testClient, type TestServer } from '../test/helper.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    page: { type: 'string', default: '' },
    'no-analyze': { type: 'boolean', default: false },
    'server-child': { type: 'boolean', default: false },
  },
});

interface SeedRow {
  id: string;
  body: string;
  signature: string;
  sealedKey: string;
}
type ToServer = { seed: SeedRow[]; owner: string } | { cpu: true } | { analyze: true } | { stop: true };
type FromServer = { url: string; kind: string } | { seeded: number } | { analyzed: true } | { cpu: CpuSample } | { error: string };
/** CPU seconds so far: the server's Node process, and each PostgreSQL backend serving its database (by pid). */
interface CpuSample { node: number; postgres: Record<string, number> }

// ---------------------------------------------------------------------------------------
// The server's process

async function serverChild(): Promise<void> {
  const teardowns: (() => unknown)[] = [];
  const server = await build({ teardown: (fn) => teardowns.push(fn) }, { RECORD_MAX_BYTES: 1024 * 1024 });
  const db = server.db;
  process.send!({ url: server.url, kind: server.database.kind } satisfies FromServer);
  process.on('message', (m: ToServer) => {
    if ('stop' in m) {
      void (async () => {
        for (const fn of teardowns.reverse()) await fn();
        process.exit(0);
      })();
      return;
    }
    if ('analyze' in m) {
      void sql`analyze`
        .execute(db)
        .then(() => process.send!({ analyzed: true } satisfies FromServer))
        .catch((err: unknown) => process.send!({ error: String(err) } satisfies FromServer));
      return;
    }
    if ('cpu' in m) {
      void cpuSample(db, server.database.kind)
        .then((cpu) => process.send!({ cpu } satisfies FromServer))
        .catch((err: unknown) => process.send!({ error: String(err) } satisfies FromServer));
      return;
    }
    void (async () => {
      const account = await db.selectFrom('accounts').select('id').where('handle', '=', m.owner).executeTakeFirstOrThrow();
      const now = Date.now();
      // Distinct update times, newest last, as records written one after another.
      const at = (i: number) => new Date(now - (m.seed.length - i) * 1000);
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('records').values(m.seed.map((r, i) => ({
          id: r.id, owner_id: account.id, current_version: 1, current_key_version: 1, created_at: at(i), updated_at: at(i),
        }))).execute();
        await trx.insertInto('record_versions').values(m.seed.map((r, i) => ({
          record_id: r.id, version: 1, key_version: 1, author_id: account.id,
          body: Buffer.from(r.body, 'base64url'), signature: Buffer.from(r.signature, 'base64url'), created_at: at(i),
        }))).execute();
        await trx.insertInto('record_keys').values(m.seed.map((r, i) => ({
          record_id: r.id, key_version: 1, recipient_id: account.id, sealed_key: Buffer.from(r.sealedKey, 'base64url'), created_at: at(i),
        }))).execute();
      });
      process.send!({ seeded: m.seed.length } satisfies FromServer);
    })().catch((err: unknown) => process.send!({ error: String(err) } satisfies FromServer));
  });
}

/** The server's CPU so far; PostgreSQL's backends are read from /proc (same machine), the embedded one runs inside Node. */
async function cpuSample(db: TestServer['db'], kind: string): Promise<CpuSample> {
  const u = process.cpuUsage();
  const postgres: Record<string, number> = {};
  if (kind === 'postgres') {
    const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(db);
    for (const { pid } of rows) {
      try {
        // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on Linux).
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        postgres[pid] = (Number(f[11]) + Number(f[12])) / 100;
      } catch {
        // Not on this machine, or gone.
      }
    }
  }
  return { node: (u.user + u.system) / 1e6, postgres };
}

// ---------------------------------------------------------------------------------------
// The client's process

function startServer(): Promise<{ child: ChildProcess; url: string; kind: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--server-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: FromServer) => ('url' in m ? resolve({ child, url: m.url, kind: m.kind }) : reject(new Error(JSON.stringify(m)))));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

function ask(child: ChildProcess, m: ToServer): Promise<FromServer | undefined> {
  return new Promise((resolve, reject) => {
    const exited = () => resolve(undefined);
    child.once('message', (a: FromServer) => {
      child.off('exit', exited);
      if ('error' in a) reject(new Error(a.error));
      else resolve(a);
    });
    child.once('exit', exited);
    child.send(m);
  });
}

/** A fetch that keeps each record-creating request instead of sending it, answering as the server would. */
function capturing(kept: SeedRow[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    if (init?.method === 'POST' && url.pathname === '/v1/records') {
      const b = JSON.parse(String(init.body)) as { id: string; body: string; signature: string; sealedKeys: { sealedKey: string }[] };
      kept.push({ id: b.id, body: b.body, signature: b.signature, sealedKey: b.sealedKeys[0]!.sealedKey });
      // The writer's session is thrown away after seeding: the event it is told of is never checked.
      const told = { 'audit-events': `${1_000_000_000 + kept.length}:${b.id}` };
      return Response.json({ id: b.id, version: 1, createdAt: new Date().toISOString() }, { status: 201, headers: told });
    }
    return fetch(input, init);
  };
}

const PLACES = ['Tapachula', 'Saltillo', 'Tijuana', 'Ciudad Juárez', 'Reynosa'];

async function seed(child: ChildProcess, server: string, owner: string, passphrase: string, count: number): Promise<number> {
  const start = performance.now();
  const kept: SeedRow[] = [];
  const writer = await Vault.login({ server, handle: owner, passphrase, ...testClient, fetch: capturing(kept) });
  for (let i = 0; i < count; i++) {
    await writer.createRecord({
      title: `Testimonio ${i + 1}`,
      narrative: `Relato de una persona en tránsito, número ${i + 1}. `.repeat(6),
      place: PLACES[i % PLACES.length]!,
      occurredAt: '2026-11-01',
      tags: ['frontera', 'albergue'],
    });
    if (kept.length === 1000 || i === count - 1) {
      await ask(child, { seed: kept.splice(0), owner });
    }
  }
  return performance.now() - start;
}

/** The same pages the client lists, fetched and parsed, nothing verified. */
async function rawWalk(server: string, token: string, limit: number): Promise<number> {
  let cursor: string | null = null;
  let n = 0;
  do {
    const q = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${server}/v1/records?${q}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    const page = (await res.json()) as { records: unknown[]; nextCursor: string | null };
    n += page.records.length;
    cursor = page.nextCursor;
  } while (cursor);
  return n;
}

async function verifiedWalk(vault: Vault, limit: number): Promise<number> {
  let cursor: string | undefined;
  let n = 0;
  do {
    const page = await vault.listRecords({ limit, ...(cursor ? { cursor } : {}) });
    n += page.records.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return n;
}

/** vault.allRecords: the next page is asked for while one is verified. */
async function pipelinedWalk(vault: Vault, limit: number): Promise<number> {
  let n = 0;
  for await (const page of vault.allRecords({ pageSize: limit })) n += page.records.length;
  return n;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function client(): Promise<void> {
  const records = Number(args.records);
  const runs = Number(args.runs);
  const { child, url, kind } = await startServer();
  try {
    const owner = handle('lister');
    const passphrase = 'una frase de paso para la lista';
    await Vault.register({ server: url, handle: owner, passphrase, ...testClient });
    const seedMs = await seed(child, url, owner, passphrase, records);
    // [Note: the bench's statistics] The records are bulk-inserted seconds before the walk,
    // and the test PostgreSQL runs with autovacuum off (the embedded one has none): without
    // this, every query is planned with no statistics at all, which a server whose autovacuum
    // is on does for a minute at most. Both cases are worth measuring: --no-analyze is the
    // embedded database's and a fresh server's (before a71042b6 it cost 52 ms a first page and
    // 1.5 CPU-s of PostgreSQL a walk); analyzed, statistics of a log of a few events are what
    // the audit append's plans see (before 0c2675f2, sequential scans growing with the log).
    const analyzed = !args['no-analyze'];
    if (analyzed) await ask(child, { analyze: true });

    const native = loadNativeSodium();
    const engines = [['native', native], ['WebAssembly', undefined]] as const;
    // One session per engine, logged in before anything is timed; the token is read from
    // the login answer for the baseline's bare fetches.
    let token = '';
    // Pages kept from one walk, answered from memory instead of the server: the client alone.
    const kept = new Map<string, { body: string; told: string }>();
    let replaying = false;
    const sniff: typeof fetch = async (input, init) => {
      const u = new URL(String(input));
      const page = replaying && u.pathname === '/v1/records' ? kept.get(u.search) : undefined;
      if (page) return new Response(page.body, { headers: { 'content-type': 'application/json', 'audit-events': page.told } });
      const res = await fetch(input, init);
      if (u.pathname === '/v1/records' && res.ok) kept.set(u.search, { body: await res.clone().text(), told: res.headers.get('audit-events') ?? '' });
      if (new URL(String(input)).pathname === '/v1/auth/login' && res.ok) token = ((await res.clone().json()) as { token: string }).token;
      return res;
    };
    // A vault keeps the engine it was made with ([Note: native libsodium for records]), and
    // the record keys it opened ([Note: opened keys kept for the session]): every cold
    // measure logs in afresh (not timed); "again" lists with the vault that just listed.
    const login = async (engine: (typeof engines)[number][1]) => {
      useSodiumEngine(engine);
      return Vault.login({ server: url, handle: owner, passphrase, ...testClient, fetch: sniff });
    };
    await login(undefined);
    const limit = args.page ? Number(args.page) : 200;

    const best = new Map<string, number>();
    const keep = (what: string, ms: number) => best.set(what, Math.min(best.get(what) ?? Infinity, ms));
    // CPU seconds of each whole-list measure (client process, server's Node, PostgreSQL), the
    // least of the runs: a figure that other work on the machine disturbs less than time.
    const cpu = new Map<string, Cpu>();
    const serverCpu = async () => ((await ask(child, { cpu: true })) as { cpu: CpuSample }).cpu;
    const cpuTimed = async (what: string, warmUp: boolean, fn: () => Promise<unknown>): Promise<number> => {
      const s0 = await serverCpu();
      const c0 = process.cpuUsage();
      const ms = await timed(fn);
      const c = process.cpuUsage(c0);
      const s1 = await serverCpu();
      const postgres = Object.entries(s1.postgres).reduce((sum, [pid, v]) => sum + v - (s0.postgres[pid] ?? 0), 0);
      const used: Cpu = { client: (c.user + c.system) / 1e6, node: s1.node - s0.node, postgres };
      const had = cpu.get(what);
      const total = (x: Cpu) => x.client + x.node + x.postgres;
      if (!warmUp && (!had || total(used) < total(had))) cpu.set(what, used);
      return ms;
    };
    for (let run = 0; run <= runs; run++) {
      const warmUp = run === 0;
      const note = (what: string, ms: number) => void (warmUp || keep(what, ms));
      note('raw page of 50', await timed(() => rawFirst(url, token, 50)));
      note('raw all', await cpuTimed('raw all', warmUp, () => rawWalk(url, token, limit)));
      for (const [name, engine] of engines) {
        if (name === 'native' && !engine) continue;
        const count = (n: number) => {
          if (n !== records) throw new Error(`listed ${n} records, not ${records}`);
        };
        let vault = await login(engine);
        note(`${name} page of 50`, await timed(() => vault.listRecords({ limit: 50 })));
        vault = await login(engine);
        note(`${name} all`, await cpuTimed(`${name} all`, warmUp, async () => count(await pipelinedWalk(vault, limit))));
        note(`${name} all, again`, await timed(async () => count(await pipelinedWalk(vault, limit))));
        vault = await login(engine);
        note(`${name} all, page after page`, await timed(async () => count(await verifiedWalk(vault, limit))));
        // The pages of the walk above, again from memory, in a new session: no server, no waiting.
        vault = await login(engine);
        replaying = true;
        note(`${name} all, client alone`, await cpuTimed(`${name} all, client alone`, warmUp, async () => count(await verifiedWalk(vault, limit))));
        replaying = false;
      }
    }
    report({ kind, records, runs, limit, seedMs, analyzed, best, cpu, nativeLoaded: native !== undefined });
  } finally {
    await ask(child, { stop: true }).catch(() => undefined);
  }
}

async function rawFirst(server: string, token: string, limit: number): Promise<void> {
  const res = await fetch(`${server}/v1/records?limit=${limit}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  await res.json();
}

interface Cpu { client: number; node: number; postgres: number }

function report(r: { kind: string; records: number; runs: number; limit: number; seedMs: number; analyzed: boolean; best: Map<string, number>; cpu: Map<string, Cpu>; nativeLoaded: boolean }): void {
  const ms = (what: string) => r.best.get(what);
  const fmt = (v: number | undefined) => (v === undefined ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
  console.log(`Listing — database: ${r.kind}; ${r.records} records seeded in ${(r.seedMs / 1000).toFixed(1)} s, ${r.analyzed ? 'then analyzed' : 'no statistics (--no-analyze)'}; pages of ${r.limit} for the whole list; best of ${r.runs} runs; ${new Date().toISOString()}`);
  console.log('');
  console.log('| what | raw (fetch + JSON, no checks) | verified, native | verified, WebAssembly | native / raw | WebAssembly / raw |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const rows = [
    ['first page of 50', 'page of 50'],
    [`all ${r.records} (allRecords: next page fetched while one is verified)`, 'all'],
    [`all ${r.records} again, same session (sealed keys opened before)`, 'all, again'],
    [`all ${r.records}, page after page (listRecords)`, 'all, page after page'],
    [`all ${r.records}, client alone (the same pages answered from memory; raw: the server's walk)`, 'all, client alone'],
  ] as const;
  for (const [label, key] of rows) {
    const raw = ms(`raw ${key === 'page of 50' ? key : 'all'}`);
    const nat = ms(`native ${key}`);
    const wasm = ms(`WebAssembly ${key}`);
    const ratio = (v: number | undefined) => (v === undefined || raw === undefined ? '—' : (v / raw).toFixed(2));
    console.log(`| ${label} | ${fmt(raw)} | ${fmt(nat)} | ${fmt(wasm)} | ${ratio(nat)} | ${ratio(wasm)} |`);
  }
  const per = (key: string) => { const v = ms(key); return v === undefined ? '—' : `${((v * 1000) / r.records).toFixed(0)} µs`; };
  console.log('');
  console.log(`per record (all): raw ${per('raw all')}, native ${per('native all')}, WebAssembly ${per('WebAssembly all')}${r.nativeLoaded ? '' : ' (sodium-native did not load)'}`);
  console.log(`per record, client alone: native ${per('native all, client alone')}, WebAssembly ${per('WebAssembly all, client alone')}`);
  console.log('');
  console.log(`CPU seconds of the whole list (least of the runs; load average ${loadavg().map((l) => l.toFixed(1)).join(', ')} at the end):`);
  console.log('');
  console.log('| what | client | server (Node) | PostgreSQL | total |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [label, key] of [
    ['raw walk (client: fetch + JSON)', 'raw all'],
    ['verified, native (allRecords)', 'native all'],
    ['verified, WebAssembly (allRecords)', 'WebAssembly all'],
    ['client alone, native (pages from memory)', 'native all, client alone'],
    ['client alone, WebAssembly (pages from memory)', 'WebAssembly all, client alone'],
  ] as const) {
    const c = r.cpu.get(key);
    if (!c) continue;
    const f = (v: number) => v.toFixed(2);
    console.log(`| ${label} | ${f(c.client)} | ${f(c.node)} | ${r.kind === 'postgres' ? f(c.postgres) : '(in Node)'} | ${f(c.client + c.node + c.postgres)} |`);
  }
}

if (args['server-child']) await serverChild();
else await client();
