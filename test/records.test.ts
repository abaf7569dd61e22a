import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { build, capturingFetch, handle, recordingFetch, testClient } from './helper.ts';

const server = await build(t);
const register = async (prefix = 'user', extra: Partial<Parameters<typeof Vault.register>[0]> = {}) =>
  (await Vault.register({ server: server.url, handle: handle(prefix), passphrase: 'pass', ...testClient, ...extra })).vault;

t.test('create, read, update (versions kept), delete', async (t) => {
  const vault = await register('coord');
  const fields = {
    title: 'Secuestro en Reynosa',
    narrative: 'Relato de la testigo…',
    occurredAt: '2026-10-03',
    place: 'Reynosa, Tamaulipas',
    language: 'es',
    tags: ['secuestro', 'extorsión'],
    interviewer: { initials: 'MG' },
  };
  const { id, version } = await vault.createRecord(fields);
  t.equal(version, 1);
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random v4 UUID');

  const read = await vault.getRecord(id);
  t.same(read.fields, fields, 'all fields round-trip, known and extra');
  t.equal(read.version, 1);
  t.same(read.attachments, [], 'no attachments yet');
  t.equal(read.author.handle, vault.handle);
  t.equal(read.author.fingerprint, vault.fingerprint());
  t.ok(Math.abs(read.createdAt.getTime() - Date.now()) < 60_000, 'createdAt is now');

  const v2 = await vault.updateRecord(id, { narrative: 'Relato corregido', place: undefined });
  t.equal(v2.version, 2);
  const latest = await vault.getRecord(id);
  t.equal(latest.version, 2);
  t.equal(latest.fields.narrative, 'Relato corregido');
  t.notOk('place' in latest.fields, 'a field set to undefined is removed');
  t.equal(latest.fields.title, fields.title, 'unchanged fields carry over');
  t.same(latest.createdAt, read.createdAt, 'createdAt carries over');

  const v1 = await vault.getRecord(id, { version: 1 });
  t.same(v1.fields, fields, 'version 1 is unchanged');

  await vault.updateRecord(id, { tags: ['secuestro'] });
  const versions = await vault.recordVersions(id);
  t.same(versions.map((v) => v.version), [1, 2, 3]);
  t.same(versions.map((v) => v.fields.narrative), ['Relato de la testigo…', 'Relato corregido', 'Relato corregido']);

  await vault.deleteRecord(id);
  await t.rejects(vault.getRecord(id), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  await t.rejects(vault.recordVersions(id), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  await t.rejects(vault.updateRecord(id, { title: 'x' }), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  await t.rejects(vault.deleteRecord(id), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  const rows = await server.db.selectFrom('record_versions').select('record_id').where('record_id', '=', id).execute();
  const keys = await server.db.selectFrom('record_keys').select('record_id').where('record_id', '=', id).execute();
  t.same([rows.length, keys.length], [0, 0], 'ciphertext and sealed keys are gone from the database');
});

t.test('list: newest change first, paginated, every record verified', async (t) => {
  const vault = await register('lister');
  const ids: string[] = [];
  for (let i = 0; i < 23; i++) ids.push((await vault.createRecord({ title: `t${i}`, narrative: `n${i}` })).id);
  await vault.updateRecord(ids[5]!, { title: 'touched' });

  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await vault.listRecords({ limit: 10, ...(cursor ? { cursor } : {}) });
    pages += 1;
    seen.push(...page.records.map((r) => r.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  t.equal(pages, 3);
  t.equal(seen.length, 23, 'every record once');
  t.equal(new Set(seen).size, 23, 'no duplicates across pages');
  t.equal(seen[0], ids[5], 'the record changed last comes first');
  t.same(seen.slice(1), ids.filter((_, i) => i !== 5).reverse(), 'then newest first');
  const first = await vault.listRecords({ limit: 1 });
  t.equal(first.records[0]?.fields.title, 'touched', 'list returns the latest version, decrypted');
});

t.test('listing many records takes a few round trips, not one per record', async (t) => {
  const rec = recordingFetch();
  const vault = await register('many', { fetch: rec.fetch });
  const n = 250;
  await Promise.all(Array.from({ length: n }, (_, i) => vault.createRecord({ title: `r${i}`, narrative: 'x' })));
  const before = rec.calls.length;
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await vault.listRecords({ limit: 200, ...(cursor ? { cursor } : {}) });
    count += page.records.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  t.equal(count, n);
  t.equal(rec.calls.length - before, 2, `${n} records in 2 requests`);
});

t.test('another account gets the same 404 as for a record that does not exist, and cannot write', async (t) => {
  const owner = await register('owner');
  const cap = capturingFetch();
  const other = await register('other', { fetch: cap.fetch });
  const { id } = await owner.createRecord({ title: 'private', narrative: 'only mine' });
  const missing = '00000000-0000-4000-8000-000000000000';

  await t.rejects(other.getRecord(id), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  await t.rejects(other.recordVersions(id), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  await t.rejects(other.deleteRecord(id), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  t.same((await other.listRecords()).records, [], 'not listed');

  const token = cap.tokens[0]!;
  const ask = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }).then(async (r) => ({ status: r.status, body: await r.text() }));
  for (const [method, suffix, body] of [
    ['GET', '', undefined],
    ['GET', '/versions', undefined],
    ['DELETE', '', { version: 1, signature: 'A'.repeat(86) }],
    ['POST', '/versions', { version: 2, keyVersion: 1, body: 'A'.repeat(60), signature: 'A'.repeat(86) }],
  ] as const) {
    const real = await ask(method, `/v1/records/${id}${suffix}`, body);
    const fake = await ask(method, `/v1/records/${missing}${suffix}`, body);
    t.equal(real.status, 404, `${method} ${suffix || '/'} on someone else's record is 404`);
    t.same(real, fake, `${method} ${suffix || '/'}: identical to a record that does not exist`);
  }
  t.equal((await owner.getRecord(id)).version, 1, 'the owner still has version 1 only');
});

t.test('bodies are padded: ciphertext sizes fall in a few Padmé buckets', async (t) => {
  const vault = await register('pad');
  const sizeOf = async (n: number) => {
    const { id } = await vault.createRecord({ title: 't', narrative: 'x'.repeat(n) });
    const row = await server.db.selectFrom('record_versions').select('body').where('record_id', '=', id).executeTakeFirstOrThrow();
    return row.body.length;
  };
  const tiny = [await sizeOf(0), await sizeOf(60)];
  t.equal(tiny[0], tiny[1], 'small bodies share the floor size');
  t.equal(tiny[0], 256 + 41, 'the floor: 256 bytes of padded plaintext plus envelope overhead');

  const lengths = Array.from({ length: 33 }, (_, i) => 4000 + i * 10);
  const sizes = new Set<number>();
  for (const n of lengths) sizes.add(await sizeOf(n));
  t.ok(sizes.size <= 3, `33 narratives of 4000–4320 characters give ${sizes.size} ciphertext sizes`);
  const max = Math.max(...sizes);
  t.ok(max <= (4320 + 100) * 1.12 + 41, 'overhead stays within 12%');
});
