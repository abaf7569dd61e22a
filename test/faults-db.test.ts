// The database goes away under load and comes back (docs/RELIABILITY.md "Faults"): every
// connection between the server and its database is cut, and new ones are refused (a
// restart) or left unanswered (a host that stops answering) for a few seconds, through a
// proxy of this test's own ([Note: outage proxy]), so the PostgreSQL other tests share is
// never touched. The server must say it is not ready, answer every request in bounded time
// with 503 VAULT_ERR_NOT_READY, never acknowledge a write it did not commit, and recover by
// itself, without a restart.
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { Vault } from '../client-lib/src/index.ts';
import { ApiError } from '../client-lib/src/errors.ts';
import { buildApp } from '../server/src/app.ts';
import { configWith } from '../server/src/config.ts';
import { EMBEDDED_POOL_MAX, kyselyFor } from '../server/src/db/connect.ts';
import { handle, testClient, TEST_KDF, testDatabase } from './helper.ts';
import { TcpProxy } from './tcp-proxy.ts';

/** How long the database is gone: long enough for a few /ready probes that each wait CONNECT_TIMEOUT_MS. */
const OUTAGE_MS = 5000;
/** How long the server waits for a database connection (DB_CONNECT_TIMEOUT_SECONDS). */
const CONNECT_TIMEOUT_MS = 1000;
/** No request may take this long, outage or not (well under OUTAGE_MS: a request that hangs until the database is back fails it). */
const BOUND_MS = CONNECT_TIMEOUT_MS + 2500;

const database = await testDatabase(t);
const target = new URL(database.url);
const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
t.teardown(() => proxy.close());
const db = kyselyFor(proxy.urlFor(database.url), database.kind === 'embedded' ? EMBEDDED_POOL_MAX : 10, CONNECT_TIMEOUT_MS);
const config = configWith({
  REGISTRATION: 'open',
  KDF_MIN_OPS: TEST_KDF.opsLimit,
  KDF_MIN_MEM_BYTES: TEST_KDF.memLimit,
  AUTH_RATE_LIMIT_MAX: 1000,
  AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
});
const app = await buildApp({ config, db });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
t.teardown(async () => {
  await app.close();
  await db.destroy();
});

/** One HTTP exchange as the client saw it. */
interface Exchange {
  start: number;
  ms: number;
  status: number | 'network';
  code: string | undefined;
  /** The record and version a POST …/versions tried to write. */
  write?: { recordId: string; version: number };
}

/** A fetch that notes every exchange in `log`. */
function timedFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const u = new URL(String(input));
    const entry: Exchange = { start: Date.now(), ms: 0, status: 'network', code: undefined };
    const recordId = /^\/v1\/records\/([0-9a-f-]{36})\/versions$/.exec(u.pathname)?.[1];
    if (init?.method === 'POST' && recordId && typeof init.body === 'string') {
      entry.write = { recordId, version: (JSON.parse(init.body) as { version: number }).version };
    }
    log.push(entry);
    try {
      const res = await fetch(input, init);
      entry.status = res.status;
      if (!res.ok) entry.code = ((await res.clone().json().catch(() => ({}))) as { code?: string }).code;
      return res;
    } finally {
      entry.ms = Date.now() - entry.start;
    }
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (m: Map<string, number[]>) => [...m.values()].reduce((n, v) => n + v.length, 0);

type Tap = Pick<Test, 'ok' | 'same' | 'equal' | 'comment'>;

async function underLoad(t: Tap, takeAway: () => void) {
  const exchanges: Exchange[] = [];
  const timed = timedFetch(exchanges);
  const writers = await Promise.all(
    [1, 2, 3].map(async () => (await Vault.register({ server: url, handle: handle('outage'), passphrase: 'p', fetch: timed, ...testClient })).vault),
  );
  // Readers are other devices of the same accounts: one Vault instance that reads while it
  // writes can have a read answered before its own write land after it, and take it for a
  // rollback.
  const readers = await Promise.all(writers.map((w) => Vault.login({ server: url, handle: w.handle, passphrase: 'p', fetch: timed, ...testClient })));
  const records = await Promise.all(writers.map((v) => v.createRecord({ title: 'under load', narrative: 'v1' })));
  /** Versions each writer saw acknowledged, by record id. */
  const acked = new Map<string, number[]>(records.map((r) => [r.id, [1]]));
  const failures: unknown[] = [];
  const ready: { at: number; status: number; code: string | undefined; ms: number }[] = [];
  let stop = false;

  const write = async (vault: Vault, id: string) => {
    while (!stop) {
      try {
        const { version } = await vault.updateRecord(id, { narrative: `written at ${Date.now()}` });
        acked.get(id)!.push(version);
      } catch (err) {
        failures.push(err);
        await pause(50);
      }
    }
  };
  const read = async (vault: Vault, id: string) => {
    while (!stop) {
      try {
        await vault.getRecord(id);
        await vault.listRecords({ limit: 10 });
      } catch (err) {
        failures.push(err);
        await pause(50);
      }
    }
  };
  const probe = async () => {
    while (!stop) {
      const at = Date.now();
      const res = await fetch(`${url}/ready`);
      const body = (await res.json()) as { code?: string };
      ready.push({ at, status: res.status, code: body.code, ms: Date.now() - at });
      await pause(100);
    }
  };

  const load = [...writers.map((v, i) => write(v, records[i]!.id)), ...readers.map((v, i) => read(v, records[i]!.id)), probe()];
  await pause(1500);
  const beforeCut = exchanges.filter((e) => e.status === 200 || e.status === 201).length;
  t.ok(beforeCut > 10, `load is running before the outage (${beforeCut} requests answered)`);

  const outage = { from: Date.now(), to: 0 };
  takeAway();
  await pause(OUTAGE_MS);
  outage.to = Date.now();
  proxy.restore();

  // Recovery by itself: /ready must come back without anyone restarting anything.
  const deadline = Date.now() + 10_000;
  const recovered = () => ready.find((r) => r.at > outage.to && r.status === 200);
  while (!recovered() && Date.now() < deadline) await pause(50);
  const back = recovered();
  t.ok(back, `/ready answers 200 again, ${back ? back.at + back.ms - outage.to : '—'} ms after the database is back`);
  const ackedAtRecovery = sum(acked);
  await pause(1500);
  stop = true;
  await Promise.all(load);
  t.ok(sum(acked) > ackedAtRecovery, `writes are acknowledged again after recovery (${sum(acked) - ackedAtRecovery} more)`);

  // Only what started after the outage began and ended before it was over (one probe or
  // request may have been on its way at the cut).
  const inside = <T extends { at?: number; start?: number; ms: number }>(r: T) => {
    const at = r.at ?? r.start!;
    return at > outage.from + 50 && at + r.ms < outage.to;
  };
  const during = ready.filter(inside);
  t.ok(during.length >= 2, `/ready was asked ${during.length} times during the outage`);
  t.same(during.filter((r) => r.status !== 503 || r.code !== 'VAULT_ERR_NOT_READY'), [], '/ready answered 503 VAULT_ERR_NOT_READY throughout the outage');
  const inOutage = exchanges.filter(inside);
  t.ok(inOutage.length >= 5, `${inOutage.length} requests were made during the outage`);
  t.same(inOutage.filter((e) => e.status !== 503 || e.code !== 'VAULT_ERR_NOT_READY'), [], 'every one answered 503 VAULT_ERR_NOT_READY');
  const slowest = Math.max(...exchanges.map((e) => e.ms), ...ready.map((r) => r.ms));
  t.ok(slowest < BOUND_MS, `no request took ${BOUND_MS} ms or more (slowest: ${slowest} ms)`);
  const unexpected = failures.filter((e) => !(e instanceof ApiError && e.status === 503 && e.code === 'VAULT_ERR_NOT_READY'));
  t.same(unexpected.map(String), [], 'the clients saw no error other than 503 VAULT_ERR_NOT_READY');

  // In the database itself (directly, not through the proxy): every acknowledged version is
  // there, versions run 1…current without a gap, and a version nobody acknowledged was
  // written by a request that failed (its commit landed, the answer did not).
  const failedWrites = new Map<string, Set<number>>();
  for (const e of exchanges) {
    if (e.write && e.status !== 201 && e.status !== 200) failedWrites.set(e.write.recordId, (failedWrites.get(e.write.recordId) ?? new Set()).add(e.write.version));
  }
  let unacknowledged = 0;
  for (const [i, { id }] of records.entries()) {
    const stored = (await database.db.selectFrom('record_versions').select('version').where('record_id', '=', id).orderBy('version').execute()).map((r) => r.version);
    const head = await database.db.selectFrom('records').select('current_version').where('id', '=', id).executeTakeFirstOrThrow();
    const mine = acked.get(id)!;
    t.same(stored, Array.from({ length: stored.length }, (_, i) => i + 1), `record ${i}: versions 1…${stored.length}, no gap`);
    t.equal(head.current_version, stored.length, `record ${i}: the record points at its newest stored version`);
    t.same(mine.filter((v) => !stored.includes(v)), [], `record ${i}: all ${mine.length} acknowledged versions are stored`);
    const extra = stored.filter((v) => !mine.includes(v));
    unacknowledged += extra.length;
    t.same(extra.filter((v) => !failedWrites.get(id)?.has(v)), [], `record ${i}: no stored version that no request wrote`);
    // And through the client: every version reads and verifies.
    const versions = await writers[i]!.recordVersions(id);
    t.equal(versions.length, stored.length, `record ${i}: every version reads and verifies`);
  }
  t.comment(
    `${exchanges.length + ready.length} requests; outage ${outage.to - outage.from} ms with ${inOutage.length + during.length} requests, ` +
      `all 503; ${sum(acked)} versions acknowledged, ${unacknowledged} committed without an acknowledgement; ` +
      `slowest answer ${slowest} ms; proxy: ${proxy.counts.relayed} connections relayed, ${proxy.counts.refused} refused so far`,
  );
}

t.test('the database restarts under load (connections cut, new ones refused)', (t) => underLoad(t, () => proxy.cut()));

t.test('the database host stops answering under load (connections cut, new ones never answered)', (t) => underLoad(t, () => proxy.silence()));
