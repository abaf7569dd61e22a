import { randomUUID } from 'node:crypto';
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import type { Unlocked } from '../client-lib/src/account/session.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { MIN_ENVELOPE_BYTES, SEALED_RECORD_KEY_BYTES, recordVersionStatement } from '@testimony-vault/protocol';
import { build, capturingFetch, handle, testClient } from './helper.ts';

// Record writes replayed with one thing wrong each: 4xx with a code, never 500, nothing stored.

const server = await build(t, { RECORD_MAX_BYTES: 4096 });
const db = server.db;
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
const cursor = (text: string) => Buffer.from(text).toString('base64url');
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
  // Numbers and ids that PostgreSQL would refuse (int4, uuid) are refused by the schema first.
  ['version pages after 2^31', 'GET', `/v1/records/${id}/versions?after=2147483648`, undefined, 400, 'VAULT_ERR_VALIDATION'],
  ['version pages after 1e300', 'GET', `/v1/records/${id}/versions?after=1e300`, undefined, 400, 'VAULT_ERR_VALIDATION'],
  ['version pages after a 20-digit number', 'GET', `/v1/records/${id}/versions?after=99999999999999999999`, undefined, 400, 'VAULT_ERR_VALIDATION'],
  ['a cursor whose id is 36 dashes', 'GET', `/v1/records?cursor=${cursor(`123.${'-'.repeat(36)}`)}`, undefined, 400, 'VAULT_ERR_VALIDATION'],
  ['a cursor whose id is hex in the wrong places', 'GET', `/v1/records?cursor=${cursor(`123.${'0'.repeat(34)}ab`)}`, undefined, 400, 'VAULT_ERR_VALIDATION'],
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

t.test('a stolen session token alone cannot delete a testimony', async (t) => {
  const token = cap.tokens[0]!;
  const del = (init: RequestInit) => fetch(`${server.url}/v1/records/${id}`, { method: 'DELETE', ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } })
    .then(async (r) => ({ status: r.status, code: r.status === 204 ? 'deleted' : ((await r.json()) as { code: string }).code }));
  const asJson = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  t.same(await del({}), { status: 400, code: 'VAULT_ERR_VALIDATION' }, 'the token alone, no body');
  t.same(await del(asJson({ version: 2 })), { status: 400, code: 'VAULT_ERR_VALIDATION' }, 'no signature');
  t.same(await del(asJson({ version: 2, signature: 'A'.repeat(86) })), { status: 400, code: 'VAULT_ERR_SIGNATURE_INVALID' }, 'a made-up signature');
  t.same(await del(asJson({ version: 2, signature: update.signature })), { status: 400, code: 'VAULT_ERR_SIGNATURE_INVALID' }, "the owner's signature of version 2 (another statement)");
  t.equal((await vault.getRecord(id)).version, 2, 'the record is still there');
});

t.test('a captured deletion is refused once the record changed, and on any other record', async (t) => {
  // A network position that holds the owner's DELETE back (answering 204 itself) and
  // replays it later, with the owner's token.
  let held: string | undefined;
  const holding: typeof fetch = async (input, init) => {
    if (init?.method === 'DELETE') {
      held = String(init.body);
      // With a made-up event index, as the client requires one (docs/PROTOCOL.md "Events told to the client").
      return new Response(null, { status: 204, headers: { 'audit-events': `${2 ** 40}:${new URL(String(input)).pathname.split('/').pop()}` } });
    }
    return cap.fetch(input, init);
  };
  const owner = await Vault.login({ server: server.url, handle: vault.handle, passphrase: 'p', fetch: holding, ...testClient });
  const { id: target } = await owner.createRecord({ title: 'to be deleted later', narrative: 'x' });
  const { id: bystander } = await owner.createRecord({ title: 'another testimony', narrative: 'y' });
  await owner.deleteRecord(target);
  t.ok(held, 'the signed deletion was captured');
  t.same(await send('DELETE', `/v1/records/${bystander}`, held, cap.tokens.at(-1)!), { status: 400, code: 'VAULT_ERR_SIGNATURE_INVALID' }, 'on another record');
  await owner.updateRecord(target, { title: 'corrected' });
  t.same(await send('DELETE', `/v1/records/${target}`, held, cap.tokens.at(-1)!), { status: 409, code: 'VAULT_ERR_VERSION_CONFLICT' }, 'after an update');
  t.equal((await owner.getRecord(target)).version, 2);
  t.equal((await owner.getRecord(bystander)).version, 1);
  // The owner's own client (not held back) deletes both: a fresh signature each.
  await vault.deleteRecord(target);
  await vault.deleteRecord(bystander);
  t.same(await db.selectFrom('records').select('id').where('id', 'in', [target, bystander]).execute(), [], 'deleted by a signed request');
});

t.test('a new record key for unknown or repeated recipients is refused before anything is stored', async (t) => {
  // Sent by the owner's own (buggy or modified) client: signed correctly, so only the
  // recipient list is wrong. These reached the database's keys and gave a 500.
  const s = await sodiumReady();
  const me = (vault as unknown as { me: Unlocked }).me;
  const body = s.randombytes_buf(MIN_ENVELOPE_BYTES + 256);
  body[0] = 1;
  const signature = s.crypto_sign_detached(recordVersionStatement(id, 3, 2, s.crypto_hash_sha256(body)), me.privateKeys.signSecretKey);
  const sealed = (recipientId: string) => ({ recipientId, sealedKey: Buffer.from(s.randombytes_buf(SEALED_RECORD_KEY_BYTES)).toString('base64url') });
  const rotate = (recipients: string[]) =>
    send('POST', `/v1/records/${id}/versions`, { version: 3, keyVersion: 2, body: Buffer.from(body).toString('base64url'), signature: Buffer.from(signature).toString('base64url'), sealedKeys: recipients.map(sealed) });
  const ownerId = (await db.selectFrom('accounts').select('id').where('handle', '=', vault.handle).executeTakeFirstOrThrow()).id;
  t.same(await rotate([ownerId, randomUUID()]), { status: 409, code: 'VAULT_ERR_GRANTS_CHANGED' }, 'a recipient that is no account (nor a live grantee)');
  t.same(await rotate([ownerId, ownerId]), { status: 400, code: 'VAULT_ERR_VALIDATION' }, 'the owner twice');
  const keys = await db.selectFrom('record_keys').select('key_version').where('record_id', '=', id).execute();
  t.same(keys.map((k) => k.key_version), [1], 'no sealed key of key version 2 was stored');
});

t.test('after all of it, the record is intact', async (t) => {
  const versions = await vault.recordVersions(id);
  t.same(versions.map((v) => [v.version, v.fields.title]), [[1, 'genuine'], [2, 'second']]);
  const count = await server.db.selectFrom('records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  t.equal(Number(count.n), 1, 'nothing else was stored');
});
