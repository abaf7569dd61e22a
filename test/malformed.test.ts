import t from 'tap';
import { build } from './helper.ts';

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
  });
}

t.test('a session id that is not a UUID is a 400 once authenticated', async (t) => {
  const reg = await fetch(`${server.url}/v1/auth/prelogin`, { method: 'POST', headers: json, body: JSON.stringify({ handle: 'abc' }) });
  t.equal(reg.status, 200);
});
