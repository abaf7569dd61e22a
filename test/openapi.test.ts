import t from 'tap';
import { build } from './helper.ts';

t.test('the OpenAPI document describes every route with its schemas', async (t) => {
  const server = await build(t);
  const res = await server.app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(res.statusCode, 200);
  const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { responses?: Record<string, unknown>; requestBody?: unknown; parameters?: unknown[] }>> };
  t.match(doc.openapi, /^3\./);

  const expected: [string, string][] = [
    ['get', '/health'], ['get', '/ready'],
    ['post', '/v1/auth/prelogin'], ['post', '/v1/auth/register'], ['post', '/v1/auth/login'], ['post', '/v1/auth/logout'],
    ['post', '/v1/auth/recover/start'], ['post', '/v1/auth/recover/finish'],
    ['get', '/v1/account/'], ['post', '/v1/account/passphrase'],
    ['get', '/v1/sessions/'], ['delete', '/v1/sessions/{id}'], ['put', '/v1/sessions/current/label'],
    ['post', '/v1/invites/'],
    ['post', '/v1/records/'], ['get', '/v1/records/'], ['get', '/v1/records/{id}'], ['delete', '/v1/records/{id}'],
    ['get', '/v1/records/{id}/versions'], ['post', '/v1/records/{id}/versions'],
    ['post', '/v1/records/{id}/files'], ['get', '/v1/files/{fileId}/upload'], ['put', '/v1/files/{fileId}/parts/{part}'],
    ['post', '/v1/files/{fileId}/complete'], ['delete', '/v1/files/{fileId}'], ['get', '/v1/files/{fileId}'],
    ['get', '/v1/users/{handle}'], ['get', '/v1/account/contacts/'], ['put', '/v1/account/contacts/'],
    ['post', '/v1/records/{id}/grants'], ['get', '/v1/records/{id}/grants'], ['delete', '/v1/records/{id}/grants/{handle}'],
    ['get', '/v1/records/{id}/keys'], ['get', '/v1/shared'],
    ['get', '/v1/audit/key'], ['get', '/v1/audit/checkpoint'], ['get', '/v1/audit/consistency'], ['get', '/v1/audit/inclusion'],
    ['get', '/v1/records/{id}/history'], ['get', '/v1/audit/events'], ['get', '/v1/audit/events/{index}/address'],
    // Teams (docs/PROTOCOL.md "Teams")
    ['get', '/v1/teams'], ['post', '/v1/teams/{id}/statements'], ['get', '/v1/teams/{id}/statements'], ['get', '/v1/teams/{id}/keys'],
    ['post', '/v1/teams/{id}/records'], ['get', '/v1/teams/{id}/records'], ['get', '/v1/teams/{id}/records/{recordId}'],
    ['post', '/v1/teams/{id}/records/{recordId}/versions'],
    ['get', '/v1/teams/{id}/history'], ['get', '/v1/teams/{id}/cases/{caseId}/history'], ['get', '/v1/teams/{id}/cases/{caseId}/key-links'],
  ];
  for (const [method, path] of expected) {
    const op = doc.paths[path]?.[method];
    t.ok(op, `${method.toUpperCase()} ${path} is documented`);
    if (!op) continue;
    const statuses = Object.keys(op.responses ?? {});
    t.ok(statuses.some((s) => s.startsWith('2')), `${method} ${path}: success response described`);
    if (path !== '/health') t.ok(statuses.some((s) => s.startsWith('4') || s.startsWith('5')), `${method} ${path}: error responses described`);
    if (method === 'post' && !path.endsWith('logout') && !path.startsWith('/v1/invites')) t.ok(op.requestBody, `${method} ${path}: body schema`);
  }
  const del = doc.paths['/v1/records/{id}']?.delete as { requestBody?: { content?: Record<string, { schema?: { required?: string[] } }> } } | undefined;
  t.same(del?.requestBody?.content?.['application/json']?.schema?.required, ['version', 'signature'], 'deleting a record takes a signed body');
  const teamRecord = doc.paths['/v1/teams/{id}/records/{recordId}']?.get?.parameters as { in: string; name: string }[] | undefined;
  t.ok(teamRecord?.some((p) => p.in === 'query' && p.name === 'version'), 'a team record is read at a given version (?version=)');
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
  t.equal(documented.length, expected.length, 'no route is missing from this test');
});
