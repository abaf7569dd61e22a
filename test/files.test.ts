import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { Vault, toNodeReadable } from '@testimony-vault/client/node';
import { build, capturingFetch, handle, partBodyOf, recordingFetch, testClient } from './helper.ts';

const server = await build(t);
const CHUNK = 64 * 1024; // the smallest chunk the server accepts, to exercise many chunks cheaply
const dir = await mkdtemp(path.join(tmpdir(), 'tvault-files-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of toNodeReadable(stream)) parts.push(p as Buffer);
  return Buffer.concat(parts);
}
const register = async (extra: Partial<Parameters<typeof Vault.register>[0]> = {}) =>
  (await Vault.register({ server: server.url, handle: handle('files'), passphrase: 'p', ...testClient, ...extra })).vault;

t.test('round trips of every interesting size, from every kind of source', async (t) => {
  const vault = await register();
  const { id } = await vault.createRecord({ title: 'with evidence', narrative: 'x' });
  const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 8 * CHUNK, 8 * CHUNK + 1, 21 * CHUNK + 123];
  const kinds = ['bytes', 'blob', 'web', 'node', 'path'] as const;
  for (const [i, size] of sizes.entries()) {
    const data = randomBytes(size);
    const kind = kinds[i % kinds.length]!;
    const file = path.join(dir, `in-${i}.bin`);
    await writeFile(file, data);
    const source =
      kind === 'bytes' ? new Uint8Array(data) :
      kind === 'blob' ? new Blob([data]) :
      kind === 'web' ? (Readable.toWeb(Readable.from([data.subarray(0, 100), data.subarray(100)])) as ReadableStream<Uint8Array>) :
      kind === 'node' ? Readable.from([data]) : file;
    const progress: number[] = [];
    const res = await vault.attachFile(id, source, { name: `evidence-${i}.bin`, type: 'application/octet-stream', chunkSize: CHUNK, onProgress: (p) => progress.push(p.bytes) });
    t.equal(res.size, size, `${size} bytes from ${kind}: size`);
    t.equal(res.sha256, sha(data), `${size} bytes: SHA-256 at intake`);
    t.equal(progress.at(-1), size, 'progress reaches the size');
    const back = await readAll(await vault.openFile(id, res.fileId));
    t.ok(back.equals(data), `${size} bytes: byte-identical through openFile`);
    const out = path.join(dir, `out-${i}.bin`);
    await vault.downloadFile(id, res.fileId, out);
    t.ok((await readFile(out)).equals(data), `${size} bytes: byte-identical through downloadFile`);
  }
  const record = await vault.getRecord(id);
  t.equal(record.attachments.length, sizes.length, 'every file is in the manifest');
  t.equal(record.version, sizes.length + 1, 'one new version per file');
  t.same(record.attachments.map((a) => a.name).sort(), sizes.map((_, i) => `evidence-${i}.bin`).sort());
});

t.test('a chunk-aligned Range resumes a download; a misaligned one is refused', async (t) => {
  const cap = capturingFetch();
  const vault = await register({ fetch: cap.fetch });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const data = randomBytes(3 * CHUNK + 5);
  const { fileId } = await vault.attachFile(id, data, { name: 'a', type: 'b', chunkSize: CHUNK });
  const get = (range?: string) => fetch(`${server.url}/v1/files/${fileId}`, { headers: { authorization: `Bearer ${cap.tokens[0]}`, ...(range ? { range } : {}) } });
  const whole = Buffer.from(await (await get()).arrayBuffer());
  const stride = CHUNK + 17;
  const tail = await get(`bytes=${2 * stride}-`);
  t.equal(tail.status, 206);
  t.ok(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(2 * stride)), 'the tail from chunk 2');
  t.equal((await get('bytes=100-')).status, 416, 'not on a chunk boundary');
  t.equal((await get(`bytes=${whole.length}-`)).status, 416, 'past the end');
});

t.test('a connection cut in the middle of a part: the part is sent again, the file is identical', async (t) => {
  let cut = false;
  const cutting: typeof fetch = async (input, init) => {
    if (!cut && init?.method === 'PUT' && String(input).endsWith('/parts/1')) {
      cut = true;
      const body = (await partBodyOf(init)).bytes;
      // Send half of the part, then break the connection.
      const broken = new ReadableStream({
        start(controller) {
          controller.enqueue(body.subarray(0, body.length >> 1));
          setTimeout(() => controller.error(new Error('cable pulled')), 20);
        },
      });
      return fetch(input, { ...init, body: broken, duplex: 'half' } as RequestInit);
    }
    return fetch(input, init);
  };
  const vault = await register({ fetch: cutting });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const data = randomBytes(20 * CHUNK + 7);
  const res = await vault.attachFile(id, data, { name: 'video.mp4', type: 'video/mp4', chunkSize: CHUNK });
  t.ok(cut, 'the connection was cut once');
  t.ok((await readAll(await vault.openFile(id, res.fileId))).equals(data), 'byte-identical');
});

t.test('an upload whose client died resumes from another process, sending only the missing parts', async (t) => {
  const vault = await register();
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const data = randomBytes(40 * CHUNK + 99); // 6 parts of 8 chunks
  const fileId = '5e1f0c2a-7b9d-4c3e-8f10-1a2b3c4d5e6f';
  // The process is gone after 3 parts were committed: the connection fails for good at the
  // fourth. (A source read only once, a stream, would commit to nothing and start again:
  // [Note: a key never meets two plaintexts], test/files-resume.test.ts.)
  const dying: typeof fetch = async (input, init) => {
    if (init?.method === 'PUT' && String(input).endsWith('/parts/3')) throw new TypeError('fetch failed: laptop battery died');
    return fetch(input, init);
  };
  const first = await Vault.login({ server: server.url, handle: vault.handle, passphrase: 'p', fetch: dying, ...testClient });
  await t.rejects(first.attachFile(id, data, { name: 'long.mp4', type: 'video/mp4', chunkSize: CHUNK, fileId, maxRetries: 0 }), /battery/);
  const stored = await server.db.selectFrom('file_chunks').select('idx').where('file_id', '=', fileId).execute();
  t.equal(stored.length, 24, 'three whole parts were committed');

  const rec = recordingFetch();
  const again = await Vault.login({ server: server.url, handle: vault.handle, passphrase: 'p', fetch: rec.fetch, ...testClient });
  const res = await again.resumeUpload(id, fileId, new Uint8Array(data), { name: 'long.mp4', type: 'video/mp4' });
  t.equal(res.sha256, sha(data));
  const puts = rec.calls.filter((c) => c.method === 'PUT').map((c) => c.path.split('/').pop());
  t.same(puts, ['3', '4', '5'], 'only parts 3, 4 and 5 were sent');
  t.ok((await readAll(await again.openFile(id, fileId))).equals(data), 'byte-identical');
});
