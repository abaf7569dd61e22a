import t from 'tap';
import { Vault } from '../client-lib/src/index.ts';
import { build, capturingFetch, handle, testClient } from './helper.ts';

// Record writes replayed with one thing wrong each: 4xx with a code, never 500, nothing stored.

const server = await build(t, { RECORD_MAX_BYTES: 4096 });
const cap = capturingFetch();
const vault = (await Vault.register({ server: server.url, handle: handle(), passphrase: 'p', fetch: cap.fetch, ...testClient })).vault;
const other = capturingFetch();
await Vault.register({ server: server.url, handle: handle(), passphrase: 'p', fetch: other.fetch, ...testClient });
const { id } = await vault.createRecord({ title: 'genuine', narrative: 'x' });
const create = JSON.parse(cap.requests.find((r) => r.method === 'POST' && r.path === '/v1/records')!.body) as Record<string, unknown>;
await vault.updateRecord(id, { title: 'second' });
const update = JSON.parse(cap.requests.find((r) => r.method === 'POST' && r.path.endsWith('/versions'))!.body) as Record<string, unknown>;

const send = (method: string, path: string, body: unknown, token = cap.tokens[0]!) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, code: ((await r.json()) as { code: string }).code }));

const fresh = '11111111-1111-4111-8111-111111111111';
const cases: [string, string, string, unknown, number, string][] = [
  ['replay of a create under another id (the signature names the first)', 'POST', '/v1/records', { ...create, id: fresh }, 400, 'VAULT_ERR_SIGNATURE_INVALID'],
  ['replay of the same create', 'POST', '/v1/records', create, 409, 'VAULT_ERR_RECORD_EXISTS'],
  ['id that is not a UUID', 'POST', '/v1/records', { ...create, id: 'not-a-uuid' }, 400, 'VAULT_ERR_VALIDATION'],
  ['upper-case UUID', 'POST', '/v1/records', { ...create, id: 'ABCDEF01-1111-4111-8111-111111111111' }, 400, 'VAULT_ERR_VALIDATION'],
  ['missing signature', 'POST', '/v1/records', { ...create, signature: undefined, id: fresh }, 400, 'VAULT_ERR_VALIDATION'],
  ['signature of the wrong size', 'POST', '/v1/records', { ...create, id: fresh, signature: 'AAAA' }, 400, 'VAULT_ERR_VALIDATION'],
  ['body that is not base64url', 'POST', '/v1/records', { ...create, id: fresh, body: 'not base64!' }, 400, 'VAULT_ERR_VALIDATION'],
  ['body shorter than an envelope', 'POST', '/v1/records', { ...create, id: fresh, body: 'AAAA' }, 400, 'VAULT_ERR_BAD_ENCODING'],
  ['body over RECORD_MAX_BYTES', 'POST', '/v1/records', { ...create, id: fresh, body: 'A'.repeat(8000) }, 400, 'VAULT_ERR_VALIDATION'],
  ['version 2 on create', 'POST', '/v1/records', { ...create, id: fresh, version: 2 }, 400, 'VAULT_ERR_VALIDATION'],
  ['no sealed key', 'POST', '/v1/records', { ...create, id: fresh, sealedKeys: [] }, 400, 'VAULT_ERR_VALIDATION'],
  ['extra field', 'POST', '/v1/records', { ...create, id: fresh, ownerId: fresh }, 400, 'VAULT_ERR_VALIDATION'],
  ['a body of 10 MB', 'POST', '/v1/records', JSON.stringify({ ...create, id: fresh, body: 'A'.repeat(10_000_000) }), 413, 'VAULT_ERR_BODY_TOO_LARGE'],
  ['replay of version 2 (already written)', 'POST', `/v1/records/${id}/versions`, update, 409, 'VAULT_ERR_VERSION_CONFLICT'],
  ['version 3 carrying version 2’s signature', 'POST', `/v1/records/${id}/versions`, { ...update, version: 3 }, 400, 'VAULT_ERR_SIGNATURE_INVALID'],
  ['skipping a version', 'POST', `/v1/records/${id}/versions`, { ...update, version: 5 }, 409, 'VAULT_ERR_VERSION_CONFLICT'],
  ['key version from nowhere', 'POST', `/v1/records/${id}/versions`, { ...update, version: 3, keyVersion: 7 }, 409, 'VAULT_ERR_KEY_VERSION_CONFLICT'],
  ['negative version', 'POST', `/v1/records/${id}/versions`, { ...update, version: -1 }, 400, 'VAULT_ERR_VALIDATION'],
  ['version as a huge number', 'POST', `/v1/records/${id}/versions`, { ...update, version: 1e20 }, 400, 'VAULT_ERR_VALIDATION'],
  ['list with a forged cursor', 'GET', '/v1/records?cursor=Zm9vYmFy', undefined, 400, 'VAULT_ERR_VALIDATION'],
  ['list with limit 0', 'GET', '/v1/records?limit=0', undefined, 400, 'VAULT_ERR_VALIDATION'],
  ['read with version 0', 'GET', `/v1/records/${id}?version=0`, undefined, 400, 'VAULT_ERR_VALIDATION'],
  ['read of a version that does not exist', 'GET', `/v1/records/${id}?version=99`, undefined, 404, 'VAULT_ERR_NOT_FOUND'],
  ['path traversal in the id', 'GET', '/v1/records/..%2F..%2Fetc%2Fpasswd', undefined, 400, 'VAULT_ERR_VALIDATION'],
];

for (const [name, method, path, body, status, code] of cases) {
  t.test(name, async (t) => {
    const init = method === 'GET' ? fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${cap.tokens[0]!}` } }).then(async (r) => ({ status: r.status, code: ((await r.json()) as { code: string }).code })) : send(method, path, body);
    t.same(await init, { status, code });
  });
}

t.test("another account's valid signature does not let it write here", async (t) => {
  // The other account replays the owner's genuine create with a fresh id: sealed to someone else.
  t.same(await send('POST', '/v1/records', { ...create, id: fresh }, other.tokens[0]!), { status: 400, code: 'VAULT_ERR_VALIDATION' });
  t.same(await send('POST', `/v1/records/${id}/versions`, { ...update, version: 3 }, other.tokens[0]!), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
});

t.test('after all of it, the record is intact', async (t) => {
  const versions = await vault.recordVersions(id);
  t.same(versions.map((v) => [v.version, v.fields.title]), [[1, 'genuine'], [2, 'second']]);
  const count = await server.db.selectFrom('records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  t.equal(Number(count.n), 1, 'nothing else was stored');
});
