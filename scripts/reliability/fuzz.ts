// npm run reliability:fuzz [-- --requests 20000 --seed 1 --concurrency 8 --server-log FILE]
// Hostile input against a real server: starts the server in its own process (on a fresh
// database of DATABASE_URL's PostgreSQL, dropped afterwards, else embedded), seeds accounts,
// records, files and a grant through the client library, sends malformed requests to every
// route of /openapi.json, then checks that everything seeded still decrypts and verifies.
// Exits non-zero on any 5xx, an error not in the documented shape, a stack trace, a server
// that stopped answering, or data lost or altered. Prints the figures as markdown.
import { parseArgs } from 'node:util';
import { seed as seedData, verify } from './fuzz/fixture.ts';
import { fuzz } from './fuzz/run.ts';
import { startServer } from './fuzz/server-process.ts';
import { findingRows, type Tally } from './fuzz/tally.ts';
import { needlesOf, secretsFound } from './fuzz/secrets.ts';
import { EMBEDDED_POOL_MAX, kyselyFor } from '../../server/src/db/connect.ts';
import type { ServerProcess } from './fuzz/server-process.ts';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    'server-log': { type: 'string' },
  },
});
const requests = Number(args.requests);
const seed = Number(args.seed);
const concurrency = Number(args.concurrency);
if (!Number.isSafeInteger(requests) || requests < 1 || !Number.isSafeInteger(seed) || !(concurrency >= 1 && concurrency <= 64)) {
  console.error('usage: npm run reliability:fuzz -- [--requests N] [--seed N] [--concurrency 1..64]');
  process.exit(2);
}

const started = Date.now();
const server = await startServer(args['server-log']);
let failed = true;
try {
  const seeded = await seedData(server.url);
  const run = await fuzz(
    { server: server.url, seed, requests, concurrency, progress: { every: 2000, report: (t) => process.stderr.write(`  ${t.sent} sent, ${t.count('5xx')} 5xx\n`) } },
    seeded.target,
  );
  const check = await verify(server.url, seeded);
  const exited = server.exitCode();
  const t = run.tally;
  const logged = server.errorsLogged();
  // Secrets at rest, once the server has stopped: its tables and its whole log.
  await server.halt();
  const secrets = await scanSecrets(server, seeded);
  failed = !t.clean || !run.alive || exited !== null || logged > 0 || check.failures.length > 0 || secrets.found.length > 0;

  console.log(`\nHostile input — database: ${server.kind}; seed ${seed}; concurrency ${concurrency}; ${run.operations} operations; ${((Date.now() - started) / 1000).toFixed(0)} s; ${new Date().toISOString()}\n`);
  console.log([...figures(t, check, run.alive && exited === null), `| errors in the server's log (5xx no client saw included) | ${logged} |`].join('\n'));
  console.log(`\n| status and code | responses |\n| --- | ---: |`);
  for (const [k, n] of [...t.byCode].sort((a, b) => b[1] - a[1])) console.log(`| ${k} | ${n} |`);
  console.log(`\n| route | 2xx | 4xx | 5xx |\n| --- | ---: | ---: | ---: |`);
  for (const [route, m] of [...t.routes].sort()) console.log(`| \`${route}\` | ${m.get('2xx') ?? 0} | ${m.get('4xx') ?? 0} | ${m.get('5xx') ?? 0} |`);
  if (t.noAnswer.size) {
    console.log(`\n| no answer, because | requests |\n| --- | ---: |`);
    for (const [k, n] of t.noAnswer) console.log(`| ${k} | ${n} |`);
  }
  for (const [title, m] of [['5xx', t.serverErrors], ['errors not `{statusCode, code, message}`', t.badShapes], ['stack traces', t.stackTraces]] as const) {
    if (m.size) console.log(`\n${title}:\n\n${findingRows(m).join('\n')}`);
  }
  for (const f of check.failures) console.log(`data check: ${f}`);
  console.log(`\nSecrets at rest after the run: ${secrets.needles} secrets and plaintexts of the seeded accounts searched for in every table (${(secrets.dumpBytes / 1e6).toFixed(1)} MB as text) and in the server's log (${(server.output().length / 1e6).toFixed(1)} MB, ${server.output().split('\n').length} lines at LOG_LEVEL=info): ${secrets.found.length === 0 ? 'none found' : `FOUND ${secrets.found.join(', ')}`}.`);
} finally {
  await server.stop();
}
process.exit(failed ? 1 : 0);

function figures(t: Tally, check: Awaited<ReturnType<typeof verify>>, alive: boolean): string[] {
  return [
    '| figure | value |',
    '| --- | ---: |',
    `| requests sent | ${t.sent} |`,
    `| mutation kinds exercised | ${t.kinds.size} |`,
    `| 2xx | ${t.count('2xx')} |`,
    `| 4xx | ${t.count('4xx')} |`,
    `| 5xx (target 0) | ${t.count('5xx')} |`,
    `| no answer (connection closed by the server, or refused by the client) | ${t.count('no answer')} |`,
    `| error responses not \`{statusCode, code, message}\` | ${[...t.badShapes.values()].reduce((n, f) => n + f.count, 0)} |`,
    `| responses with a stack trace | ${[...t.stackTraces.values()].reduce((n, f) => n + f.count, 0)} |`,
    `| server still ready afterwards | ${alive ? 'yes' : 'NO'} |`,
    `| seeded records read back and verified | ${check.records} (${check.failures.length ? `${check.failures.length} FAILED` : 'all intact'}) |`,
    `| seeded files decrypted, SHA-256 matching | ${check.files} |`,
  ];
}

async function scanSecrets(server: ServerProcess, seeded: Awaited<ReturnType<typeof seedData>>) {
  let close = async () => {};
  let url: string;
  if ('url' in server.database) url = server.database.url;
  else {
    // The embedded database lives in the stopped server's data folder: open it here.
    const { startEmbedded } = await import('../../server/src/db/embedded.ts');
    const embedded = await startEmbedded(server.database.dataDir, EMBEDDED_POOL_MAX);
    url = embedded.connectionString;
    close = () => embedded.close();
  }
  const db = kyselyFor(url, 1);
  try {
    const needles = await needlesOf(db, seeded);
    const found = await secretsFound(db, server.output(), needles);
    return { needles: needles.length, found: [...found.tables.map((n) => `${n} (tables)`), ...found.log.map((n) => `${n} (log)`)], dumpBytes: found.dumpBytes };
  } finally {
    await db.destroy();
    await close();
  }
}
