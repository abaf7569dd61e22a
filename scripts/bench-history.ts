// npm run bench:history [-- --events N --noise N --page N --runs N --skip-old]
// What reading a record's history costs (docs/PERFORMANCE.md "Record history"), side by side
// in one run, the Node client against the real server:
//   - a record with --events events (default 10,000; its owner's reads, appended straight
//     into the log by appendEvents, as the server appends them), each followed by --noise
//     events about nothing (default 1), so the record's leaves are spread over the tree;
//   - first page: Vault.recordHistoryPages(id).next(), a page of --page events (default 200),
//     verified: checkpoint, consistency with the one seen before, the page's proof;
//   - whole history: Vault.recordHistory(id) (pages of 1,000), every check;
//   - baselines in the same run: the same rows' leaves selected with no proof (one query), and
//     the old path's server cost, one stored inclusion proof per event (storedInclusionProof
//     in a loop, what GET …/history did before it was paged), without HTTP or checking.
// Medians of --runs runs (default 5). Database: its own, created on the PostgreSQL of
// DATABASE_URL and dropped afterwards, else an in-memory embedded one (PGlite).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { buildApp } from '../server/src/app.ts';
import { configWith } from '../server/src/config.ts';
import { EMBEDDED_POOL_MAX, kyselyFor } from '../server/src/db/connect.ts';
import { migrateToLatest } from '../server/src/db/migrate.ts';
import type { Database } from '../server/src/db/schema.ts';
import { appendEvents, treeSize, type AuditEntry } from '../server/src/audit/log.ts';
import { storedInclusionProof } from '../server/src/audit/proofs.ts';
import { MemoryStateStore, Vault, type KdfLimits } from '@testimony-vault/client/node';
import { scratchPostgres } from './bench-database.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    noise: { type: 'string', default: '1' },
    page: { type: 'string', default: '200' },
    runs: { type: 'string', default: '5' },
    // Leaves out the old path (seconds), for profiling the new one.
    'skip-old': { type: 'boolean', default: false },
  },
});
const count = (name: keyof typeof args, min: number) => {
  const n = Number(args[name]);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}`);
  return n;
};
const EVENTS = count('events', 1);
const NOISE = count('noise', 0);
const PAGE = count('page', 1);
const RUNS = count('runs', 1);
const KDF: KdfLimits = { opsLimit: 1, memLimit: 8192 };

async function openDatabase(): Promise<{ kind: string; url: string; close(): Promise<void> }> {
  const admin = process.env.DATABASE_URL;
  if (!admin) {
    const { startEmbedded } = await import('../server/src/db/embedded.ts');
    const embedded = await startEmbedded('memory://', 16);
    return { kind: 'embedded (PGlite in memory)', url: embedded.connectionString, close: () => embedded.close() };
  }
  const scratch = await scratchPostgres(admin);
  return { kind: 'PostgreSQL (DATABASE_URL)', url: scratch.url, close: scratch.drop };
}

/** The owner's reads of the record, each followed by NOISE events about no record. */
async function fillLog(db: Kysely<Database>, owner: { id: string; handle: string }, recordId: string): Promise<void> {
  const read: AuditEntry = { actor: owner, action: 'record.read', outcome: 'ok', recordId };
  const noise: AuditEntry = { actor: owner, action: 'session.end', outcome: 'ok' };
  const perRead = [read, ...Array.from({ length: NOISE }, () => noise)];
  for (let done = 0; done < EVENTS; ) {
    const n = Math.min(Math.floor(256 / perRead.length), EVENTS - done);
    await appendEvents(db, Array.from({ length: n }, () => perRead).flat());
    done += n;
  }
}

/** A second session of the account, for the raw requests (the vault's token stays its own). */
async function sessionToken(url: string, handle: string): Promise<string> {
  let token: string | undefined;
  const capture: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (new URL(String(input)).pathname === '/v1/auth/login' && res.ok) token = ((await res.clone().json()) as { token: string }).token;
    return res;
  };
  await Vault.login({ server: url, handle, passphrase: 'bench history passphrase', kdfFloor: KDF, state: new MemoryStateStore(), fetch: capture });
  if (!token) throw new Error('no session token seen');
  return token;
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function check(what: string, ok: boolean): void {
  if (!ok) throw new Error(`check failed: ${what}`);
}

async function main(): Promise<void> {
  const database = await openDatabase();
  const db = kyselyFor(database.url, process.env.DATABASE_URL ? 10 : EMBEDDED_POOL_MAX);
  await migrateToLatest(db);
  const config = configWith({ REGISTRATION: 'open', KDF_MIN_OPS: KDF.opsLimit, KDF_MIN_MEM_BYTES: KDF.memLimit, AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn' });
  const app = await buildApp({ config, db });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  let bytes = 0;
  const counting: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (new URL(String(input)).pathname.endsWith('/history')) bytes += (await res.clone().arrayBuffer()).byteLength;
    return res;
  };
  try {
    const handle = `bench-${randomBytes(4).toString('hex')}`;
    const { vault } = await Vault.register({ server: url, handle, passphrase: 'bench history passphrase', kdf: KDF, kdfFloor: KDF, state: new MemoryStateStore(), fetch: counting });
    const { id } = await vault.createRecord({ title: 'bench', narrative: 'a record read often' });
    const account = await db.selectFrom('accounts').select(['id', 'handle']).where('handle', '=', handle).executeTakeFirstOrThrow();
    const t0 = performance.now();
    await fillLog(db, account, id);
    const fillMs = performance.now() - t0;
    const size = await treeSize(db);
    const rows = await db.selectFrom('audit_events').select('idx').where('record_id', '=', id).orderBy('idx').execute();
    console.log(`# bench:history — ${database.kind}; a record of ${rows.length} events in a log of ${size} (${NOISE} unrelated after each); filled in ${(fillMs / 1000).toFixed(1)} s`);

    // Warm-up: the owner of the record is learnt, the checkpoint pinned, the code paths compiled.
    const warm = await vault.recordHistory(id);
    check('the whole history is every event of the record', warm.length === rows.length);

    const firstPage = await median(RUNS, async () => {
      const pages = vault.recordHistoryPages(id, { pageSize: PAGE });
      const page = await pages.next();
      check('a first page of events', !page.done && page.value.events.length === Math.min(PAGE, rows.length));
      await pages.return(undefined);
    });
    bytes = 0;
    const whole = await median(RUNS, async () => check('the whole history', (await vault.recordHistory(id)).length === rows.length));
    const wholeBytes = bytes / RUNS;
    const wholeSmall = await median(RUNS, async () => check('the whole history', (await vault.recordHistory(id, { pageSize: PAGE })).length === rows.length));
    const leaves = await median(RUNS, () => db.selectFrom('audit_events').select(['idx', 'leaf']).where('record_id', '=', id).where('idx', '<', size).orderBy('idx').execute());
    // The same pages asked for over HTTP and parsed, not checked: the server's share and the transfer.
    const token = await sessionToken(url, handle);
    const rawPages = await median(RUNS, async () => {
      let after = -1;
      let got = 0;
      for (;;) {
        const res = await fetch(`${url}/v1/records/${id}/history?size=${size}&after=${after}&limit=1000`, { headers: { authorization: `Bearer ${token}` } });
        const page = (await res.json()) as { events: unknown[]; next: number | null };
        got += page.events.length;
        if (page.next === null) break;
        after = page.next;
      }
      check('every event fetched', got === rows.length);
    });
    // One run: it takes seconds.
    const oldPath = args['skip-old'] ? Number.NaN : await median(1, async () => {
      for (const r of rows) await storedInclusionProof(db, Number(r.idx), size);
    });

    const ms = (x: number) => `${x.toFixed(1)} ms`;
    console.log('');
    console.log('| measure | time | vs. leaves selected, no proofs |');
    console.log('|---|---:|---:|');
    console.log(`| baseline: the record's ${rows.length} leaves selected, no proofs (one query) | ${ms(leaves)} | 1.00 |`);
    console.log(`| baseline: the old path's server cost, one stored inclusion proof per event | ${ms(oldPath)} | ${(oldPath / leaves).toFixed(1)} |`);
    console.log(`| pages of 1,000 fetched over HTTP and parsed, not checked (server and transfer) | ${ms(rawPages)} | ${(rawPages / leaves).toFixed(2)} |`);
    console.log(`| first page (${PAGE} events) shown verified, Node client over HTTP | ${ms(firstPage)} | ${(firstPage / leaves).toFixed(2)} |`);
    console.log(`| whole history verified, pages of 1,000 (${(wholeBytes / 1e6).toFixed(2)} MB over HTTP) | ${ms(whole)} | ${(whole / leaves).toFixed(2)} |`);
    console.log(`| whole history verified, pages of ${PAGE} | ${ms(wholeSmall)} | ${(wholeSmall / leaves).toFixed(2)} |`);
    console.log('');
    console.log(`goals (issue 19): first page < 100 ms: ${firstPage < 100 ? 'met' : 'missed'}; whole history < 1 s: ${whole < 1000 ? 'met' : 'missed'}; old path / whole history: ${(oldPath / whole).toFixed(1)}x`);
  } finally {
    await app.close();
    await db.destroy();
    await database.close();
  }
}

await main();
