import { randomUUID } from 'node:crypto';
import type { FastifyError } from 'fastify';
import { sql } from 'kysely';
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { toVaultError } from '../server/src/plugins/errors.ts';
import { build, capturingFetch, handle, testClient } from './helper.ts';

// Bad input gets a 4xx with a stable code, never a 500, and never a stack trace.

const server = await build(t);
const json = { 'content-type': 'application/json' };
const key = 'A'.repeat(43);

const cases: { name: string; method: 'GET' | 'POST' | 'DELETE'; url: string; body?: string; headers?: Record<string, string>; status: number; code: string }[] = [
  { name: 'invalid JSON', method: 'POST', url: '/v1/auth/prelogin', body: '{"handle":', headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'empty JSON body', method: 'POST', url: '/v1/auth/prelogin', body: '', headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'missing field', method: 'POST', url: '/v1/auth/login', body: JSON.stringify({ handle: 'abc' }), headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'extra field', method: 'POST', url: '/v1/auth/prelogin', body: JSON.stringify({ handle: 'abc', admin: true }), headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'wrong type', method: 'POST', url: '/v1/auth/prelogin', body: JSON.stringify({ handle: 42 }), headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'array instead of object', method: 'POST', url: '/v1/auth/prelogin', body: '[1,2]', headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'handle with capitals or slashes', method: 'POST', url: '/v1/auth/prelogin', body: JSON.stringify({ handle: '../Admin' }), headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'base64 with bad characters', method: 'POST', url: '/v1/auth/login', body: JSON.stringify({ handle: 'abc', loginKey: `${'A'.repeat(42)}=` }), headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'base64 of the wrong size', method: 'POST', url: '/v1/auth/login', body: JSON.stringify({ handle: 'abc', loginKey: 'AAAA' }), headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'non-canonical base64 (stray bits)', method: 'POST', url: '/v1/auth/login', body: JSON.stringify({ handle: 'abc', loginKey: `${'A'.repeat(42)}B` }), headers: json, status: 400, code: 'VAULT_ERR_BAD_ENCODING' },
  { name: 'unsupported content type', method: 'POST', url: '/v1/auth/prelogin', body: 'handle=abc', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'VAULT_ERR_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'oversized body', method: 'POST', url: '/v1/auth/prelogin', body: JSON.stringify({ handle: 'a'.repeat(200_000) }), headers: json, status: 413, code: 'VAULT_ERR_BODY_TOO_LARGE' },
  { name: 'session id that is not a UUID', method: 'DELETE', url: '/v1/sessions/not-a-uuid', status: 401, code: 'VAULT_ERR_UNAUTHENTICATED' },
  { name: 'garbage bearer token', method: 'GET', url: '/v1/sessions', headers: { authorization: 'Bearer \u0000<script>' }, status: 401, code: 'VAULT_ERR_UNAUTHENTICATED' },
  { name: 'well-formed but unknown token', method: 'GET', url: '/v1/sessions', headers: { authorization: `Bearer ${key}` }, status: 401, code: 'VAULT_ERR_UNAUTHENTICATED' },
  { name: 'unknown route', method: 'GET', url: '/v1/nothing-here', status: 404, code: 'VAULT_ERR_ROUTE_NOT_FOUND' },
  { name: 'bad percent-encoding in the path', method: 'GET', url: '/v1/records/%E0%A4%A', status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'a path parameter longer than the router takes', method: 'GET', url: `/v1/records/${'a'.repeat(300)}`, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'NUL in the device label', method: 'POST', url: '/v1/auth/login', body: JSON.stringify({ handle: 'abc', loginKey: key, device: 'lap\u0000top' }), headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
  { name: 'huge KDF numbers', method: 'POST', url: '/v1/auth/recover/finish', body: JSON.stringify({ handle: 'abc', recoveryAuthKey: key, kdf: { algorithm: 'argon2id13', salt: 'A'.repeat(22), opsLimit: 1e308, memLimit: -5 }, loginKey: key, wrappedMasterKey: 'A'.repeat(98) }), headers: json, status: 400, code: 'VAULT_ERR_VALIDATION' },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const res = await server.app.inject({ method: c.method, url: c.url, headers: c.headers ?? {}, ...(c.body === undefined ? {} : { payload: c.body }) });
    t.equal(res.statusCode, c.status, 'status');
    const body = res.json() as { code: string; message: string; stack?: unknown };
    t.equal(body.code, c.code, 'code');
    t.notOk(body.stack, 'no stack trace');
    t.notMatch(body.message, /at .*\.ts:\d+/, 'no source location in the message');
    t.notOk(res.body.includes(c.url.slice(1)) || res.body.includes('%E0'), 'the URL is not echoed');
  });
}

t.test('a session id that is not a UUID is a 400 once authenticated', async (t) => {
  const cap = capturingFetch();
  await Vault.register({ server: server.url, handle: handle('uuid'), passphrase: 'p', fetch: cap.fetch, ...testClient });
  const res = await fetch(`${server.url}/v1/sessions/not-a-uuid`, { method: 'DELETE', headers: { authorization: `Bearer ${cap.tokens[0]}` } });
  t.equal(res.status, 400);
  t.equal(((await res.json()) as { code: string }).code, 'VAULT_ERR_VALIDATION');
});

t.test('control characters in the device label are refused after a correct login key too', async (t) => {
  // With a correct login key the label reached the sessions table, where PostgreSQL
  // refused the NUL: a 500. Other control and bidi characters would reach session lists.
  const cap = capturingFetch();
  await Vault.register({ server: server.url, handle: handle(), passphrase: 'p', fetch: cap.fetch, ...testClient });
  const login = JSON.parse(cap.requests.find((r) => r.path === '/v1/auth/login')!.body) as Record<string, unknown>;
  const attempt = (device: string) => server.app.inject({ method: 'POST', url: '/v1/auth/login', headers: json, payload: JSON.stringify({ ...login, device }) });
  // Names spelled out: some of these characters would break the test's own output.
  const labels: [string, string][] = [
    ['NUL', 'lap\u0000top'], ['tab', 'tab\u0009'], ['ANSI escape', '\u001b[31mred'], ['DEL', 'del\u007f'], ['C1 NEL', 'c1\u0085'],
    ['line separator', 'line\u2028sep'], ['right-to-left override', 'evil\u202etxt.exe'], ['bidi isolate', 'iso\u2066late'],
  ];
  for (const [name, device] of labels) {
    const res = await attempt(device);
    t.same([res.statusCode, (res.json() as { code: string }).code], [400, 'VAULT_ERR_VALIDATION'], name);
  }
  const ok = await attempt('Portátil — oficina 2 📱');
  t.equal(ok.statusCode, 200, 'an ordinary label in any script is fine');
});

t.test('values the database refuses are 4xx, never 500', async (t) => {
  // Routes validate first; this is the net under them (plugins/errors.ts). Each case makes
  // the real database raise that SQLSTATE and maps the error it throws.
  const db = server.db;
  const raised = async (query: () => Promise<unknown>) => {
    try {
      await query();
    } catch (err) {
      return err as FastifyError;
    }
    throw new Error('the query did not fail');
  };
  const cases: [string, () => Promise<unknown>, number, string][] = [
    ['23505 unique', () => db.transaction().execute(async (trx) => {
      for (let i = 0; i < 2; i++) await trx.insertInto('server_secrets').values({ name: 'duplicate', value: Buffer.alloc(1) }).execute();
    }), 409, 'VAULT_ERR_CONFLICT'],
    ['23503 foreign key', () => sql`insert into sessions (account_id, token_hash, expires_at) values (${randomUUID()}, ${Buffer.alloc(32)}, now())`.execute(db), 400, 'VAULT_ERR_VALIDATION'],
    ['23514 check', () => sql`insert into record_versions (record_id, version, key_version, author_id, body, signature) values (${randomUUID()}, 0, 1, ${randomUUID()}, '', '')`.execute(db), 400, 'VAULT_ERR_VALIDATION'],
    ['22P02 invalid text', () => sql`select ${'not-a-uuid'}::uuid`.execute(db), 400, 'VAULT_ERR_VALIDATION'],
    ['22003 out of range', () => sql`select ${'2147483648'}::int4`.execute(db), 400, 'VAULT_ERR_VALIDATION'],
    ['22021 NUL in text', () => sql`select ${'a\u0000b'}::text`.execute(db), 400, 'VAULT_ERR_VALIDATION'],
    ['22008 date out of range', () => sql`select ${'2026-13-45'}::timestamptz`.execute(db), 400, 'VAULT_ERR_VALIDATION'],
  ];
  for (const [name, query, status, code] of cases) {
    const err = await raised(query);
    t.equal(err.code, name.slice(0, 5), `${name}: the database raised it`);
    const safe = toVaultError(err);
    t.same([safe.statusCode, safe.code], [status, code], name);
  }
});
