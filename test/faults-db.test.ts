// The database goes away under load and comes back (docs/RELIABILITY.md "Faults"): every
// connection between the server and its database is cut, and new ones are refused (a
// restart) or left unanswered (a host that stops answering) for a few seconds, through a
// proxy of this test's own ([Note: outage proxy]), so the PostgreSQL other tests share is
// never touched. The server must say it is not ready, answer every request in bounded time
// with 503 VAULT_ERR_NOT_READY, never acknowledge a write it did not commit, and recover by
// itself, without a restart.
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { ApiError } from '@testimony-vault/client';
import { buildApp } from '../server/src/app.ts';
import { configWith } from '../server/src/config.ts';
import { EMBEDDED_POOL_MAX, kyselyFor } from '../server/src/db/connect.ts';
import { checkStored, startLoad } from '../scripts/reliability/write-load.ts';
import { handle, TEST_KDF, testDatabase } from './helper.ts';
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

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Tap = Pick<Test, 'ok' | 'same' | 'equal' | 'comment'>;

async function underLoad(t: Tap, takeAway: () => void) {
  const load = await startLoad({ server: url, writers: 3, handle, kdf: TEST_KDF }); // [Note: write load]
  await pause(1500);
  const beforeCut = load.exchanges.filter((e) => e.status === 200 || e.status === 201).length;
  t.ok(beforeCut > 10, `load is running before the outage (${beforeCut} requests answered)`);

  const outage = { from: Date.now(), to: 0 };
  takeAway();
  await pause(OUTAGE_MS);
  outage.to = Date.now();
  proxy.restore();

  // Recovery by itself: /ready must come back without anyone restarting anything.
  const deadline = Date.now() + 10_000;
  const recovered = () => load.ready.find((r) => r.at > outage.to && r.status === 200);
  while (!recovered() && Date.now() < deadline) await pause(50);
  const back = recovered();
  t.ok(back, `/ready answers 200 again, ${back ? back.at + back.ms - outage.to : '—'} ms after the database is back`);
  const ackedAtRecovery = load.ackedCount();
  await pause(1500);
  await load.stop();
  t.ok(load.ackedCount() > ackedAtRecovery, `writes are acknowledged again after recovery (${load.ackedCount() - ackedAtRecovery} more)`);

  // Only what started after the outage began and ended before it was over (one probe or
  // request may have been on its way at the cut).
  const inside = (r: { start?: number; at?: number; ms: number }) => {
    const at = r.at ?? r.start!;
    return at > outage.from + 50 && at + r.ms < outage.to;
  };
  const during = load.ready.filter(inside);
  t.ok(during.length >= 2, `/ready was asked ${during.length} times during the outage`);
  t.same(during.filter((r) => r.status !== 503 || r.code !== 'VAULT_ERR_NOT_READY'), [], '/ready answered 503 VAULT_ERR_NOT_READY throughout the outage');
  const inOutage = load.exchanges.filter(inside);
  t.ok(inOutage.length >= 5, `${inOutage.length} requests were made during the outage`);
  t.same(inOutage.filter((e) => e.status !== 503 || e.code !== 'VAULT_ERR_NOT_READY'), [], 'every one answered 503 VAULT_ERR_NOT_READY');
  const slowest = Math.max(...load.exchanges.map((e) => e.ms), ...load.ready.map((r) => r.ms));
  t.ok(slowest < BOUND_MS, `no request took ${BOUND_MS} ms or more (slowest: ${slowest} ms)`);
  const unexpected = load.failures.filter((e) => !(e instanceof ApiError && e.status === 503 && e.code === 'VAULT_ERR_NOT_READY'));
  t.same(unexpected.map(String), [], 'the clients saw no error other than 503 VAULT_ERR_NOT_READY');

  // In the database itself (directly, not through the proxy): every acknowledged version is
  // there, versions run 1…current without a gap, and a version nobody acknowledged was
  // written by a request that failed (its commit landed, the answer did not).
  const stored = await checkStored(database.db, load);
  t.same(stored.lost, [], `every one of the ${load.ackedCount()} acknowledged versions is stored`);
  t.same(stored.gaps, [], 'versions run from 1 to the current one without a gap');
  t.same(stored.stray, [], 'no stored version that no request wrote');
  // And through the client: every version reads and verifies.
  for (const { id, writer } of load.records) {
    const head = await database.db.selectFrom('records').select('current_version').where('id', '=', id).executeTakeFirstOrThrow();
    t.equal((await writer.recordVersions(id)).length, head.current_version, `all ${head.current_version} stored versions read and verify`);
  }
  t.comment(
    `${load.exchanges.length + load.ready.length} requests; outage ${outage.to - outage.from} ms with ${inOutage.length + during.length} requests, ` +
      `all 503; ${load.ackedCount()} versions acknowledged, ${stored.unacknowledged} committed without an acknowledgement; ` +
      `slowest answer ${slowest} ms; proxy: ${proxy.counts.relayed} connections relayed, ${proxy.counts.refused} refused so far`,
  );
}

t.test('the database restarts under load (connections cut, new ones refused)', (t) => underLoad(t, () => proxy.cut()));

t.test('the database host stops answering under load (connections cut, new ones never answered)', (t) => underLoad(t, () => proxy.silence()));
