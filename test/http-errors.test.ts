import http from 'node:http';
import type { FastifyError } from 'fastify';
import t from 'tap';
import { toVaultError } from '../server/src/plugins/errors.ts';
import { send } from '../scripts/reliability/fuzz/send.ts';
import { build } from './helper.ts';

// Requests refused before Fastify routes them (found by `npm run reliability:fuzz`): Node's
// HTTP parser and Node's own answers had no `code`, or no body at all. Each must now be an
// error in the documented shape, and none may be logged as a server fault.

const server = await build(t);
const base = new URL(server.url);
const agent = new http.Agent();
t.teardown(() => agent.destroy());

const raw = (text: string) => ({ bytes: Buffer.from(text), halfClose: false });
const head = 'GET /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n';

const cases: { name: string; c: Parameters<typeof send>[2]; status: number; code: string }[] = [
  { name: 'Content-Length that is not a number', c: { route: '', kind: '', method: 'POST', path: '', headers: {}, raw: raw(`${head}Content-Length: abc\r\n\r\n{}`) }, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'Content-Length and chunked together', c: { route: '', kind: '', method: 'POST', path: '', headers: {}, raw: raw(`${head}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`) }, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'a header line without a colon', c: { route: '', kind: '', method: 'GET', path: '', headers: {}, raw: raw(`${head}X-Fuzz\r\n\r\n`) }, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'no Host header', c: { route: '', kind: '', method: 'GET', path: '', headers: {}, raw: raw('GET /health HTTP/1.1\r\nConnection: close\r\n\r\n') }, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'headers over 16 KiB', c: { route: '', kind: '', method: 'GET', path: '/health', headers: { 'x-fuzz': 'a'.repeat(20_000) } }, status: 431, code: 'VAULT_ERR_HEADERS_TOO_LARGE' },
  { name: 'an Expect header other than 100-continue', c: { route: '', kind: '', method: 'GET', path: '/health', headers: { expect: 'nonsense' } }, status: 417, code: 'VAULT_ERR_EXPECTATION_FAILED' },
];

for (const { name, c, status, code } of cases) {
  t.test(name, async (t) => {
    const a = await send(base, agent, c);
    if ('reason' in a) return t.fail(`no answer: ${a.reason}`);
    t.equal(a.status, status, 'status');
    t.match(a.contentType, /^application\/json/, 'a JSON body');
    t.same(Object.keys(JSON.parse(a.body) as object).sort(), ['code', 'message', 'statusCode'], 'the documented shape');
    t.equal((JSON.parse(a.body) as { code: string }).code, code, 'code');
  });
}

t.test('HTTP/1.0 needs no Host', async (t) => {
  const a = await send(base, agent, { route: '', kind: '', method: 'GET', path: '', headers: {}, raw: raw('GET /health HTTP/1.0\r\n\r\n') });
  t.equal('status' in a ? a.status : 0, 200);
});

t.test('a request body the client cut off is its own fault, not the database going away', async (t) => {
  // Node fails the body stream with ECONNRESET, which Fastify marks 400; ECONNRESET from
  // the database's socket carries no status and stays a 503.
  const cut = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 }) as FastifyError;
  t.equal(toVaultError(cut).code, 'VAULT_ERR_VALIDATION');
  const db = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) as FastifyError;
  t.equal(toVaultError(db).code, 'VAULT_ERR_NOT_READY');
});
