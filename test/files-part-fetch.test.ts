// sendFilePartsThrough ([Note: parts sent from a thread of their own]), from the core entry
// point as a browser runs it: part PUTs, and nothing else, go through the fetch it is given,
// each with a body of bytes of its own that a later part does not overwrite; a failure
// there is retried like a dropped connection; and turned off, parts go as Blobs again.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { sendFilePartsThrough, Vault } from '@testimony-vault/client';
import { PART_CHUNKS } from '@testimony-vault/protocol';
import { build, handle, recordingFetch, testClient } from './helper.ts';

const server = await build(t);
const CHUNK = 64 * 1024;
const PART = /^\/v1\/files\/[^/]+\/parts\/\d+$/;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const piece of stream as unknown as AsyncIterable<Uint8Array>) out.push(piece);
  return Buffer.concat(out);
}

t.test('parts go through the fetch given, as bytes of their own; everything else through the connection', async (t) => {
  const connection = recordingFetch();
  const { vault } = await Vault.register({ server: server.url, handle: handle('pf'), passphrase: 'p', ...testClient, fetch: connection.fetch });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const bodies: { path: string; body: unknown; copy: Buffer }[] = [];
  let failures = 1;
  sendFilePartsThrough(async (input, init) => {
    const body = init?.body;
    bodies.push({ path: new URL(String(input)).pathname, body, copy: Buffer.from(body as Uint8Array) });
    if (failures-- > 0) throw new TypeError('fetch failed: connection reset');
    return fetch(input, init);
  });
  t.teardown(() => sendFilePartsThrough(undefined));

  // Three whole parts, and a short fourth.
  const bytes = randomBytes(3 * PART_CHUNKS * CHUNK + 1234);
  const res = await vault.attachFile(id, new Blob([bytes]), { name: 'v.mp4', type: 'video/mp4', chunkSize: CHUNK });
  t.ok(bodies.every((b) => PART.test(b.path)), 'only part PUTs went through it');
  t.equal(bodies.length, 5, 'four parts, the first twice (its first sending failed)');
  t.ok(bodies.every((b) => b.body instanceof Uint8Array), 'each body is bytes');
  t.ok(bodies.every((b) => Buffer.from(b.body as Uint8Array).equals(b.copy)), 'no body was overwritten after it was sent (a later part is sealed elsewhere)');
  const firstPart = bodies.filter((b) => b.path === bodies[0]!.path);
  t.equal(firstPart.length, 2, 'the part that failed was sent again');
  t.ok(firstPart[0]!.copy.equals(firstPart[1]!.copy), 'the same bytes');
  t.equal(new Set(bodies.map((b) => b.body)).size, 4, 'four bodies, one per part');
  t.equal(connection.calls.filter((c) => PART.test(c.path)).length, 0, 'no part went through the connection’s fetch');
  t.ok(connection.calls.some((c) => c.method === 'POST' && /\/complete$/.test(c.path)), 'the rest of the upload did');
  t.ok((await readAll(await vault.openFile(id, res.fileId))).equals(bytes), 'the file comes back byte for byte');

  sendFilePartsThrough(undefined);
  const before = bodies.length;
  const again = randomBytes(CHUNK * 3);
  const res2 = await vault.attachFile(id, new Blob([again]), { name: 'w.mp4', type: 'video/mp4', chunkSize: CHUNK });
  t.equal(bodies.length, before, 'turned off, nothing more goes through it');
  t.equal(connection.calls.filter((c) => PART.test(c.path)).length, 1, 'the part went through the connection');
  t.ok((await readAll(await vault.openFile(id, res2.fileId))).equals(again), 'and arrived whole');
});
