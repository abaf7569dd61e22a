import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { DecryptionError, IntegrityError, Vault } from '@testimony-vault/client/node';
import type { SecretStreamEngine } from '../client-lib/src/crypto/secretstream.ts';
import { platform } from '../client-lib/src/files/platform.ts';
import { buildApp } from '../server/src/app.ts';
import { configWith } from '../server/src/config.ts';
import { deleteExpiredUploads } from '../server/src/files/repository.ts';
import { build, capturingFetch, handle, recordingFetch, testClient, testDatabase, TEST_KDF } from './helper.ts';
import { dumpAllTables } from './scan.ts';

const CHUNK = 64 * 1024;
const server = await build(t, { FILE_MAX_BYTES: 2 * 1024 * 1024, USER_QUOTA_BYTES: 3 * 1024 * 1024 });
const db = server.db;
const dir = await mkdtemp(path.join(tmpdir(), 'tvault-hostile-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

const newVault = async (extra: Partial<Parameters<typeof Vault.register>[0]> = {}) =>
  (await Vault.register({ server: server.url, handle: handle('ev'), passphrase: 'p', ...testClient, ...extra })).vault;

async function uploaded(vault: Vault, size = 5 * CHUNK + 10) {
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const data = randomBytes(size);
  const { fileId } = await vault.attachFile(id, data, { name: 'photo.jpg', type: 'image/jpeg', chunkSize: CHUNK });
  return { id, fileId, data };
}
const chunk = async (fileId: string, idx: number) =>
  (await db.selectFrom('file_chunks').select('data').where('file_id', '=', fileId).where('idx', '=', idx).executeTakeFirstOrThrow()).data;
const setChunk = (fileId: string, idx: number, data: Buffer) =>
  db.updateTable('file_chunks').set({ data }).where('file_id', '=', fileId).where('idx', '=', idx).execute();

async function expectRefused(t: { ok(v: unknown, m: string): void; same(a: unknown, b: unknown, m: string): void }, vault: Vault, id: string, fileId: string, kind: typeof IntegrityError, what: string) {
  const out = path.join(dir, `${fileId}.bin`);
  const err = await vault.downloadFile(id, fileId, out).catch((e: unknown) => e);
  t.ok(err instanceof kind, `${what}: ${kind.name} (got ${(err as Error)?.name})`);
  t.same((await readdir(dir)).filter((f) => f.includes(fileId)), [], `${what}: no file, partial or complete, is left behind`);
}

// The tampering cases run on each file-stream engine the client can use here (native
// libsodium and WebAssembly, [Note: file stream engines]): each must catch them alike.
const ENGINES: [string, SecretStreamEngine | undefined][] = [
  ...(platform.secretStream ? [[platform.secretStream.name, platform.secretStream] as [string, SecretStreamEngine]] : []),
  ['libsodium (WebAssembly)', undefined],
];
function onEachEngine(name: string, fn: (t: Test) => Promise<void>) {
  for (const [engineName, engine] of ENGINES) {
    t.test(`${name} — ${engineName}`, async (t) => {
      const saved = platform.secretStream;
      platform.secretStream = engine;
      try {
        await fn(t);
      } finally {
        platform.secretStream = saved;
      }
    });
  }
}

onEachEngine('a flipped byte in a stored chunk', async (t) => {
  const vault = await newVault();
  const { id, fileId } = await uploaded(vault);
  const c = await chunk(fileId, 2);
  c[100]! ^= 0x01;
  await setChunk(fileId, 2, c);
  await expectRefused(t, vault, id, fileId, DecryptionError, 'flipped byte');
});

onEachEngine('the last chunk dropped (truncation)', async (t) => {
  const vault = await newVault();
  const { id, fileId } = await uploaded(vault);
  // A careful operator also fixes the bookkeeping so the download looks whole.
  await db.deleteFrom('file_chunks').where('file_id', '=', fileId).where('idx', '=', 5).execute();
  await db.updateTable('files').set({ total_chunks: 5, stored_bytes: 5 * (CHUNK + 17) }).where('id', '=', fileId).execute();
  await expectRefused(t, vault, id, fileId, IntegrityError, 'truncated at a chunk boundary');
});

onEachEngine('two chunks reordered', async (t) => {
  const vault = await newVault();
  const { id, fileId } = await uploaded(vault);
  const [a, b] = [await chunk(fileId, 1), await chunk(fileId, 2)];
  await setChunk(fileId, 1, b);
  await setChunk(fileId, 2, a);
  await expectRefused(t, vault, id, fileId, DecryptionError, 'reordered');
});

onEachEngine('a chunk spliced in from another file', async (t) => {
  const vault = await newVault();
  const one = await uploaded(vault);
  const two = await uploaded(vault);
  await setChunk(one.fileId, 1, await chunk(two.fileId, 1));
  await expectRefused(t, vault, one.id, one.fileId, DecryptionError, 'spliced');
});

onEachEngine('a whole file swapped for another of the same shape', async (t) => {
  const vault = await newVault();
  const one = await uploaded(vault);
  const two = await uploaded(vault);
  for (let i = 0; i <= 5; i++) await setChunk(one.fileId, i, await chunk(two.fileId, i));
  await expectRefused(t, vault, one.id, one.fileId, DecryptionError, 'swapped file');
});

t.test('a canary byte pattern in an uploaded file never appears in any table', async (t) => {
  const vault = await newVault();
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const canary = Buffer.from('CANARY-FILE-PATTERN-7d41e0c2-');
  const data = Buffer.concat(Array.from({ length: 3000 }, () => canary));
  await vault.attachFile(id, data, { name: 'canary-name-3b9a.pdf', type: 'application/pdf', chunkSize: CHUNK });
  const dump = await dumpAllTables(db);
  t.notOk(dump.includes(canary.toString('hex').toLowerCase()), 'not as hex');
  t.notOk(dump.includes('canary-file-pattern'), 'not as text');
  t.notOk(dump.includes('canary-name-3b9a'), 'the file name is not stored in the clear');
});

t.test('size and quota limits: 413 with a code, before anything is stored', async (t) => {
  const vault = await newVault();
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const chunksBefore = Number((await db.selectFrom('file_chunks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  await t.rejects(
    vault.attachFile(id, new Uint8Array(3 * 1024 * 1024), { name: 'big', type: 'video/mp4', chunkSize: CHUNK }),
    { status: 413, code: 'VAULT_ERR_FILE_TOO_LARGE' },
    'declared size over FILE_MAX_BYTES',
  );
  t.equal(Number((await db.selectFrom('file_chunks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), chunksBefore, 'refused at creation: not one chunk stored');
  // A stream of unknown length is stopped at the part that crosses the limit.
  async function* endless() {
    for (;;) yield new Uint8Array(CHUNK);
  }
  await t.rejects(vault.attachFile(id, endless(), { name: 'stream', type: 'video/mp4', chunkSize: CHUNK }), { status: 413, code: 'VAULT_ERR_FILE_TOO_LARGE' });
  const stored = await db.selectFrom('files').select(['stored_bytes']).where('owner_id', '=', (await db.selectFrom('accounts').select('id').where('handle', '=', vault.handle).executeTakeFirstOrThrow()).id).execute();
  t.ok(stored.every((f) => Number(f.stored_bytes) <= 2 * 1024 * 1024), 'no file holds more than the limit');
  t.same(stored, [], 'the refused upload was abandoned by the client: it holds no quota');

  // Quota: 3 MiB per account; two files of 1.5 MiB do not fit.
  await vault.attachFile(id, new Uint8Array(1.5 * 1024 * 1024), { name: 'one', type: 'x', chunkSize: CHUNK });
  await t.rejects(
    vault.attachFile(id, new Uint8Array(1.5 * 1024 * 1024), { name: 'two', type: 'x', chunkSize: CHUNK }),
    { status: 413, code: 'VAULT_ERR_QUOTA_EXCEEDED' },
  );
});

t.test('abandoned uploads expire and are deleted', async (t) => {
  const vault = await newVault();
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  async function* dies() {
    yield new Uint8Array(9 * CHUNK);
    throw new Error('gone');
  }
  const fileId = '0a0b0c0d-0e0f-4a1b-8c2d-3e4f5a6b7c8d';
  await t.rejects(vault.attachFile(id, dies(), { name: 'x', type: 'x', chunkSize: CHUNK, fileId }));
  t.equal((await db.selectFrom('file_chunks').select('idx').where('file_id', '=', fileId).execute()).length, 8, 'one part was stored');
  t.equal(await deleteExpiredUploads(db), 0, 'not expired yet: kept');
  await db.updateTable('files').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', fileId).execute();
  t.equal(await deleteExpiredUploads(db), 1, 'expired: deleted');
  t.equal((await db.selectFrom('file_chunks').select('idx').where('file_id', '=', fileId).execute()).length, 0, 'its chunks are gone');
  const complete = await uploaded(vault, 10);
  await db.updateTable('files').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', complete.fileId).execute();
  t.equal(await deleteExpiredUploads(db), 0, 'a completed file never expires');
});

t.test('another account gets 404 on every file route', async (t) => {
  const owner = await newVault();
  const { id, fileId } = await uploaded(owner, 100);
  const cap = capturingFetch();
  await newVault({ fetch: cap.fetch });
  const token = cap.tokens[0]!;
  const call = (method: string, p: string, body?: BodyInit, type = 'application/json') =>
    fetch(`${server.url}${p}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': type } : {}) }, ...(body ? { body } : {}) }).then((r) => r.status);
  t.equal(await call('GET', `/v1/files/${fileId}`), 404, 'download');
  t.equal(await call('GET', `/v1/files/${fileId}/upload`), 404, 'status');
  t.equal(await call('PUT', `/v1/files/${fileId}/parts/0`, new Uint8Array(100), 'application/octet-stream'), 404, 'write a part');
  t.equal(await call('POST', `/v1/files/${fileId}/complete`, JSON.stringify({ totalChunks: 1, encryptedSize: 117 })), 404, 'complete');
  t.equal(await call('DELETE', `/v1/files/${fileId}`), 404, 'delete');
  t.equal(await call('POST', `/v1/records/${id}/files`, JSON.stringify({ fileId: '1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9', chunkSize: CHUNK, partChunks: 8, header: 'A'.repeat(32), wrappedKey: 'A'.repeat(140) })), 404, 'attach to their record');
  const err = await owner.downloadFile(id, fileId, path.join(dir, 'ok.bin')).catch((e: unknown) => e);
  t.notOk(err, 'the owner still downloads it');
});

t.test('the server restarted in the middle of an upload: the client waits, resumes, and the file is identical', async (t) => {
  const database = await testDatabase(t);
  const config = configWith({ REGISTRATION: 'open', KDF_MIN_OPS: TEST_KDF.opsLimit, KDF_MIN_MEM_BYTES: TEST_KDF.memLimit });
  let app = await buildApp({ config, db: database.db });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(address).port);
  t.teardown(() => app.close());
  const vault = (await Vault.register({ server: address, handle: handle('restart'), passphrase: 'p', ...testClient })).vault;
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const data = randomBytes(40 * CHUNK + 3);
  let restarted = false;
  async function* slow() {
    for (let i = 0; i < 40 * CHUNK + 3; i += CHUNK) {
      if (i === 16 * CHUNK && !restarted) {
        restarted = true;
        await app.close(); // the server goes away with a committed part or two behind it
        setTimeout(async () => {
          app = await buildApp({ config, db: database.db });
          await app.listen({ host: '127.0.0.1', port });
        }, 800);
      }
      yield data.subarray(i, Math.min(i + CHUNK, data.length));
    }
  }
  const res = await vault.attachFile(id, slow(), { name: 'v.mp4', type: 'video/mp4', chunkSize: CHUNK });
  t.ok(restarted, 'the server was restarted mid-upload');
  const out = path.join(dir, 'restart.bin');
  await vault.downloadFile(id, res.fileId, out);
  const { readFile } = await import('node:fs/promises');
  t.ok((await readFile(out)).equals(data), 'byte-identical');
});

t.test('the server refuses a part that is not whole chunks, and completion with chunks missing', async (t) => {
  const cap = capturingFetch();
  const vault = await newVault({ fetch: cap.fetch });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const fileId = '2c3d4e5f-6071-4829-93a4-b5c6d7e8f901';
  await t.rejects(vault.attachFile(id, (async function* () { yield new Uint8Array(CHUNK * 9); throw new Error('stop'); })(), { name: 'x', type: 'x', chunkSize: CHUNK, fileId }));
  const put = (part: number, body: Uint8Array<ArrayBuffer>) =>
    fetch(`${server.url}/v1/files/${fileId}/parts/${part}`, { method: 'PUT', headers: { authorization: `Bearer ${cap.tokens[0]}`, 'content-type': 'application/octet-stream' }, body }).then(async (r) => [r.status, ((await r.json()) as { code: string }).code]);
  t.same(await put(1, new Uint8Array(10)), [400, 'VAULT_ERR_BAD_PART'], 'shorter than one chunk overhead');
  t.same(await put(1, new Uint8Array(9 * (CHUNK + 17))), [400, 'VAULT_ERR_BAD_PART'], 'more chunks than a part holds');
  const complete = await fetch(`${server.url}/v1/files/${fileId}/complete`, { method: 'POST', headers: { authorization: `Bearer ${cap.tokens[0]}`, 'content-type': 'application/json' }, body: JSON.stringify({ totalChunks: 10, encryptedSize: 10 * (CHUNK + 17) }) });
  t.equal(complete.status, 409);
  t.equal(((await complete.json()) as { code: string }).code, 'VAULT_ERR_UPLOAD_INCOMPLETE');
  const err = await vault.getRecord(id);
  t.same(err.attachments, [], 'nothing half-uploaded appears in the record');
});

t.test('a session token alone cannot destroy a complete file', async (t) => {
  const cap = capturingFetch();
  const vault = await newVault({ fetch: cap.fetch });
  const { id, fileId, data } = await uploaded(vault, 1000);
  const res = await fetch(`${server.url}/v1/files/${fileId}`, { method: 'DELETE', headers: { authorization: `Bearer ${cap.tokens[0]}` } });
  t.equal(res.status, 409);
  t.equal(((await res.json()) as { code: string }).code, 'VAULT_ERR_UPLOAD_COMPLETE');
  const out = path.join(dir, 'kept.bin');
  await vault.downloadFile(id, fileId, out);
  const { readFile } = await import('node:fs/promises');
  t.ok((await readFile(out)).equals(data), 'the file is intact');
});

t.test('a file id that exists is refused with its own code', async (t) => {
  const vault = await newVault();
  const { id, fileId } = await uploaded(vault, 10);
  await t.rejects(vault.attachFile(id, new Uint8Array(5), { name: 'x', type: 'x', fileId, chunkSize: CHUNK }), { status: 409, code: 'VAULT_ERR_FILE_EXISTS' });
});

t.test('a hostile server cannot make a resumed upload use a key it knows', async (t) => {
  const rec = recordingFetch();
  const vault = await newVault({ fetch: rec.fetch });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const other = await uploaded(vault, 10);
  const fileId = '3d4e5f60-7182-493a-a4b5-c6d7e8f90a1b';
  async function* dies() {
    yield new Uint8Array(9 * CHUNK);
    throw new Error('gone');
  }
  await t.rejects(vault.attachFile(id, dies(), { name: 'x', type: 'x', chunkSize: CHUNK, fileId }));
  const data = new Uint8Array(12 * CHUNK);
  // The operator swaps in another file's wrapped key (valid, but for another file), then random bytes.
  const otherRow = await db.selectFrom('files').select('wrapped_key').where('id', '=', other.fileId).executeTakeFirstOrThrow();
  for (const forged of [otherRow.wrapped_key, randomBytes(otherRow.wrapped_key.length)]) {
    await db.updateTable('files').set({ wrapped_key: forged }).where('id', '=', fileId).execute();
    const before = rec.calls.filter((c) => c.method === 'PUT').length;
    await t.rejects(vault.resumeUpload(id, fileId, data, { name: 'x', type: 'x' }), DecryptionError);
    t.equal(rec.calls.filter((c) => c.method === 'PUT').length, before, 'not one part was sent');
  }
});

t.test('resume ignores chunking the server reports: it uses what the owner wrapped', async (t) => {
  const lying: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (!String(input).endsWith('/upload') || !res.ok) return res;
    const body = (await res.json()) as Record<string, unknown>;
    return new Response(JSON.stringify({ ...body, chunkSize: 0, partChunks: 1_000_000 }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const vault = await newVault({ fetch: lying });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const data = randomBytes(20 * CHUNK + 1);
  const fileId = '4e5f6071-8293-4a4b-b5c6-d7e8f90a1b2c';
  async function* dies() {
    yield data.subarray(0, 12 * CHUNK);
    throw new Error('gone');
  }
  await t.rejects(vault.attachFile(id, dies(), { name: 'x', type: 'x', chunkSize: CHUNK, fileId }));
  const res = await vault.resumeUpload(id, fileId, new Uint8Array(data), { name: 'x', type: 'x' });
  t.equal(res.size, data.length);
  const out = path.join(dir, 'lying.bin');
  await vault.downloadFile(id, fileId, out);
  const { readFile } = await import('node:fs/promises');
  t.ok((await readFile(out)).equals(data), 'byte-identical despite the lies');
  t.equal((await vault.getRecord(id)).attachments.find((a) => a.fileId === fileId)?.chunkSize, CHUNK, 'the manifest has the real chunk size');
});

t.test('a download that stalls is abandoned after the idle timeout and resumed from the next chunk', async (t) => {
  let stalled = 0;
  const stalling: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const isDownload = /\/v1\/files\/[0-9a-f-]{36}$/.test(String(input)) && (init?.method ?? 'GET') === 'GET';
    const ranged = new Headers(init?.headers).has('range');
    if (!isDownload || ranged || stalled > 0 || !res.body) return res;
    stalled += 1;
    const upstream = res.body.getReader();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= 2 * (CHUNK + 17)) {
          // Send nothing more, ever, until the client gives up (as a dead connection would).
          await new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
        }
        const { done, value } = await upstream.read();
        if (done) return controller.close();
        sent += value.length;
        controller.enqueue(value);
      },
    });
    return new Response(body, { status: res.status, headers: res.headers });
  };
  const vault = await newVault({ fetch: stalling });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const data = randomBytes(6 * CHUNK + 5);
  const { fileId } = await vault.attachFile(id, data, { name: 'x', type: 'x', chunkSize: CHUNK });
  const out = path.join(dir, 'stalled.bin');
  await vault.downloadFile(id, fileId, out, { idleTimeoutMs: 300 });
  t.equal(stalled, 1, 'the first response stalled');
  const { readFile } = await import('node:fs/promises');
  t.ok((await readFile(out)).equals(data), 'byte-identical after resuming');
});
