import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { sql } from 'kysely';
import t from 'tap';
import { fastifyOptions } from '../server/src/app.ts';
import { configWith } from '../server/src/config.ts';
import { Strict, Uuid } from '../server/src/http/schemas.ts';
import errors from '../server/src/plugins/errors.ts';
import openapi from '../server/src/plugins/openapi.ts';
import { seed, verify } from '../scripts/reliability/fuzz/fixture.ts';
import { fuzz, operations } from '../scripts/reliability/fuzz/run.ts';
import { findingRows } from '../scripts/reliability/fuzz/tally.ts';
import { needlesOf, secretsFound } from '../scripts/reliability/fuzz/secrets.ts';
import { build } from './helper.ts';

// The hostile-input generator of `npm run reliability:fuzz`, bounded: malformed requests to
// every route of /openapi.json must all get a 4xx in the documented shape, the server must
// log no error, and everything stored before must still decrypt and verify. The full run
// (20,000 requests, a server in its own process) is in docs/RELIABILITY.md.

const REQUESTS = 3000;

/** Counts the lines the server logs at level error or fatal (a 5xx, even one no client saw). */
function errorCounter() {
  let errors = 0;
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString('utf8');
      lines.push(text);
      for (const line of text.split('\n')) if (/^\{"level":(50|60),/.test(line)) errors += 1;
      done();
    },
  });
  return { stream, errors: () => errors, text: () => lines.join('') };
}

t.test('malformed requests to every route: only 4xx, and the data stored before still verifies', async (t) => {
  const log = errorCounter();
  const server = await build(t, { LOG_LEVEL: 'info' }, { stream: log.stream });
  const seeded = await seed(server.url);
  const run = await fuzz({ server: server.url, seed: 7, requests: REQUESTS, concurrency: 6 }, seeded.target);
  const { tally } = run;
  t.equal(tally.sent, REQUESTS, 'every request was sent');
  t.ok(run.operations >= 30, `every operation of the document (${run.operations})`);
  const fuzzed = (await operations(server.url)).map((o) => `${o.method.toUpperCase()} ${o.path}`);
  for (const route of ['GET /v1/teams/{id}/history', 'GET /v1/teams/{id}/cases/{caseId}/history']) t.ok(fuzzed.includes(route), `${route} is fuzzed`);
  t.ok(tally.count('4xx') > REQUESTS / 2, 'most requests are refused');
  t.equal(tally.count('5xx'), 0, 'no 5xx', { findings: findingRows(tally.serverErrors) });
  t.equal(tally.badShapes.size, 0, 'every error is {statusCode, code, message}', { findings: findingRows(tally.badShapes) });
  t.equal(tally.stackTraces.size, 0, 'no stack trace in any answer', { findings: findingRows(tally.stackTraces) });
  t.equal(log.errors(), 0, 'the server logged no error');
  t.ok(run.alive, 'the server is still ready');

  const check = await verify(server.url, seeded);
  t.same(check.failures, [], 'every seeded record and file still decrypts and verifies');
  t.equal(check.records, seeded.expected.length + 1 + seeded.team.members.length, 'every record was read (the shared one by its reviewer too, the team testimony by both members)');
  t.ok(check.files >= 3, 'the seeded files were read back');

  // Secrets at rest after all of it: tables and the whole log (at the production level).
  const needles = await needlesOf(server.db, seeded);
  const found = await secretsFound(server.db, log.text(), needles);
  t.ok(needles.length > 30, `${needles.length} secrets and plaintexts looked for`);
  t.same(found.tables, [], 'none in any table');
  t.ok(log.text().length > 100_000, 'the server logged the run');
  t.same(found.log, [], 'none in the log');

  // The data check can fail: one byte appended to a stored version.
  await sql`update record_versions set body = body || ${Buffer.from([0])} where record_id = ${seeded.expected[1]!.id}`.execute(server.db);
  const after = await verify(server.url, seeded);
  t.ok(after.failures.length > 0, 'a record altered in the database is reported');

  // So can the team check: one byte appended to the team testimony's body.
  await sql`update team_record_versions set body = body || ${Buffer.from([0])} where record_id = ${seeded.team.recordId}`.execute(server.db);
  const team = await verify(server.url, seeded);
  t.ok(team.failures.some((f) => f.startsWith('team testimony')), 'a team testimony altered in the database is reported');
});

t.test('the generator catches a route that throws a plain Error', async (t) => {
  // A bare server with the vault's error handler and one careless route: the same run
  // must report its 500s by route and mutation.
  const app = Fastify(fastifyOptions(configWith(), false));
  await app.register(errors);
  await app.register(openapi);
  app.get('/ready', async () => ({ status: 'ready' }));
  app.get('/v1/things/:id', { schema: { params: Strict({ id: Uuid }), security: [{ session: [] }] } }, async () => {
    throw new Error('forgot to check something');
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const account = () => ({ handle: `h${randomBytes(3).toString('hex')}`, accountId: randomUUID(), token: randomBytes(32).toString('base64url'), records: [randomUUID()], readable: [], files: [], uploads: [], teams: [], cases: [], teamRecords: [], sent: [] });
  const run = await fuzz({ server: url, seed: 1, requests: 200, concurrency: 4 }, { accounts: [account(), account()], strides: [1024] });
  t.ok(run.tally.count('5xx') > 0, 'the 500s are counted');
  t.notOk(run.tally.clean, 'the run is not clean');
  const found = [...run.tally.serverErrors.values()];
  t.ok(found.every((f) => f.route === 'GET /v1/things/{id}' && f.status === 500 && f.code === 'VAULT_ERR_INTERNAL'), 'each names the route, the status and the code');
});
