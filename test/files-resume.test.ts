// Issue 17, item 2, from the hostile server's side: a server that claims to hold fewer chunks
// than it does, when the owner resumes with a file that differs from the first attempt, must
// never receive two different plaintexts under one file key and header (it would XOR the
// ciphertexts and get the XOR of the plaintexts). See [Note: a key never meets two plaintexts].
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CHUNK_OVERHEAD } from '@testimony-vault/protocol';
import { NetworkError, UploadSourceChangedError, Vault } from '@testimony-vault/client/node';
import { build, handle, partBodyOf, testClient } from './helper.ts';

const CHUNK = 64 * 1024;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const piece of stream as unknown as AsyncIterable<Uint8Array>) out.push(piece);
  return Buffer.concat(out);
}
const server = await build(t);

/**
 * The hostile server, as a fetch wrapper: keeps every part body it receives (what an operator
 * would keep), answers every upload status with `storedChunks: []`, and can drop the
 * connection on chosen parts.
 */
function hostile() {
  const parts: { fileId: string; part: number; body: Buffer }[] = [];
  const state = { failParts: new Set<number>(), forget: false };
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const put = /^\/v1\/files\/([0-9a-f-]{36})\/parts\/(\d+)$/.exec(url.pathname);
    if (put && init?.method === 'PUT') {
      const part = Number(put[2]);
      const sent = await partBodyOf(init);
      init = sent.init;
      parts.push({ fileId: put[1]!, part, body: sent.bytes });
      if (state.failParts.has(part)) throw new TypeError('fetch failed: connection reset');
    }
    const res = await fetch(input, init);
    if (state.forget && url.pathname.endsWith('/upload') && res.ok) {
      const body = (await res.json()) as Record<string, unknown>;
      return new Response(JSON.stringify({ ...body, storedChunks: [], storedBytes: 0, complete: false }), { status: 200, headers: { 'content-type': 'application/json' } });
    }
    return res;
  };
  return { fetch: fetchFn, parts, state };
}

/**
 * What the thief computes: for every part it received twice, the XOR of the first chunk's
 * ciphertexts; if it equals the XOR of the plaintexts, the key and header met two plaintexts.
 */
function leakedXor(parts: { fileId: string; part: number; body: Buffer }[], fileId: string, a: Buffer, b: Buffer, partChunks = 8): number[] {
  const leaks: number[] = [];
  const stride = CHUNK + CHUNK_OVERHEAD;
  const seen = parts.filter((p) => p.fileId === fileId);
  for (const [i, x] of seen.entries()) {
    for (const y of seen.slice(i + 1)) {
      if (x.part !== y.part || x.body.equals(y.body)) continue;
      const offset = x.part * partChunks * CHUNK;
      const n = Math.min(CHUNK, stride - CHUNK_OVERHEAD, x.body.length - CHUNK_OVERHEAD, y.body.length - CHUNK_OVERHEAD);
      let same = true;
      // Chunk payload: one encrypted tag byte, then the message, then the 16-byte MAC.
      for (let k = 0; k < n && same; k++) same = (x.body[1 + k]! ^ y.body[1 + k]!) === (a[offset + k]! ^ b[offset + k]!);
      if (same) leaks.push(x.part);
    }
  }
  return leaks;
}

async function owner(fetchFn: typeof fetch) {
  const { vault } = await Vault.register({ server: server.url, handle: handle('rs'), passphrase: 'p', ...testClient, fetch: fetchFn });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  return { vault, id };
}

t.test('a server that claims no chunks gets no second plaintext under the same key: the changed file is refused before encryption', async (t) => {
  const h = hostile();
  const { vault, id } = await owner(h.fetch);
  const first = randomBytes(20 * CHUNK + 5); // 3 parts of 8 chunks
  const fileId = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
  h.state.failParts.add(2);
  await t.rejects(vault.attachFile(id, first, { name: 'v.mp4', type: 'video/mp4', chunkSize: CHUNK, fileId, maxRetries: 0 }), NetworkError);
  t.same(h.parts.map((p) => p.part), [0, 1, 2], 'parts 0 and 1 were committed, part 2 was cut');

  // The operator now answers storedChunks: [] and the owner resumes with another file (a
  // re-exported video, the wrong file picked): same length, different bytes.
  h.state.failParts.clear();
  h.state.forget = true;
  const changed = Buffer.from(first);
  changed[10] = changed[10]! ^ 1;
  const before = h.parts.length;
  await t.rejects(vault.resumeUpload(id, fileId, changed, { name: 'v.mp4', type: 'video/mp4' }), UploadSourceChangedError);
  t.equal(h.parts.length, before, 'not one part was sent from the changed file');
  const other = randomBytes(20 * CHUNK + 5);
  await t.rejects(vault.resumeUpload(id, fileId, other, { name: 'v.mp4', type: 'video/mp4' }), UploadSourceChangedError);
  await t.rejects(vault.resumeUpload(id, fileId, first.subarray(0, 10 * CHUNK), { name: 'v.mp4', type: 'video/mp4' }), UploadSourceChangedError, 'nor a prefix of it');
  t.equal(h.parts.length, before, 'nothing sent at all');
  t.same(leakedXor(h.parts, fileId, first, changed), [], 'no part was ever encrypted twice with different bytes');

  // With the original file, the lie only costs bandwidth: every part is sent again, byte-identical.
  const res = await vault.resumeUpload(id, fileId, first, { name: 'v.mp4', type: 'video/mp4' });
  t.equal(res.size, first.length);
  for (const part of [0, 1]) {
    const copies = h.parts.filter((p) => p.fileId === fileId && p.part === part);
    t.ok(copies.length === 2 && copies[0]!.body.equals(copies[1]!.body), `part ${part} was sent again byte for byte`);
  }
  t.same(leakedXor(h.parts, fileId, first, first), [], 'still nothing to XOR');
  const out = await readAll(await vault.openFile(id, fileId));
  t.ok(out.equals(first), 'the file downloads byte-identical');
});

t.test('a file that changes while it is uploaded is refused at the first chunk that differs, before it is encrypted', async (t) => {
  const h = hostile();
  const { vault, id } = await owner(h.fetch);
  const first = randomBytes(20 * CHUNK);
  const fileId = 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e';
  // A Blob whose second reading differs from the first (a file rewritten on disk meanwhile),
  // whether it is read as a stream or in slices (a reading starts at byte 0).
  let readings = 0;
  const changing = new Blob([first]);
  const changed = Buffer.from(first);
  changed[9 * CHUNK + 3] = changed[9 * CHUNK + 3]! ^ 1; // in part 1
  const [stream, slice] = [changing.stream.bind(changing), changing.slice.bind(changing)];
  changing.stream = () => {
    readings += 1;
    return readings === 1 ? stream() : new Blob([changed]).stream();
  };
  changing.slice = (start = 0, end, type) => {
    if (start === 0) readings += 1;
    return readings === 1 ? slice(start, end, type) : new Blob([changed]).slice(start, end, type);
  };
  await t.rejects(vault.attachFile(id, changing, { name: 'v.mp4', type: 'video/mp4', chunkSize: CHUNK, fileId }), UploadSourceChangedError);
  t.same(h.parts.filter((p) => p.fileId === fileId).map((p) => p.part), [0], 'only the part before the change was sent');

  // A resume with the bytes as first read sends what is missing; with the changed ones, nothing.
  h.state.forget = true;
  const later = Buffer.from(first);
  later[9 * CHUNK + 3] = later[9 * CHUNK + 3]! ^ 1;
  await t.rejects(vault.resumeUpload(id, fileId, later, { name: 'v.mp4', type: 'video/mp4' }), UploadSourceChangedError);
  const res = await vault.resumeUpload(id, fileId, first, { name: 'v.mp4', type: 'video/mp4' });
  t.equal(res.size, first.length);
  t.same(leakedXor(h.parts, fileId, first, later), [], 'no part under this key carries the changed bytes');
});

t.test('bytes that change while they are uploaded are refused at the first chunk that differs, before it is encrypted', async (t) => {
  const h = hostile();
  const first = randomBytes(20 * CHUNK);
  const bytes = Buffer.from(first);
  // The caller changes the bytes it handed over once they were read to commit to (the file's
  // creation is the first request after that reading), before the reading that encrypts.
  const fetchFn: typeof fetch = async (input, init) => {
    if (init?.method === 'POST' && /\/v1\/records\/[^/]+\/files$/.test(new URL(String(input)).pathname)) bytes[9 * CHUNK + 3] = bytes[9 * CHUNK + 3]! ^ 1; // in part 1
    return h.fetch(input, init);
  };
  const { vault, id } = await owner(fetchFn);
  const fileId = 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70';
  await t.rejects(vault.attachFile(id, bytes, { name: 'v.mp4', type: 'video/mp4', chunkSize: CHUNK, fileId }), UploadSourceChangedError);
  t.same(h.parts.filter((p) => p.fileId === fileId).map((p) => p.part), [0], 'only the part before the change was sent');

  // A resume with the bytes as first read sends what is missing; with the changed ones, nothing.
  h.state.forget = true;
  await t.rejects(vault.resumeUpload(id, fileId, bytes, { name: 'v.mp4', type: 'video/mp4' }), UploadSourceChangedError);
  const res = await vault.resumeUpload(id, fileId, first, { name: 'v.mp4', type: 'video/mp4' });
  t.equal(res.size, first.length);
  t.same(leakedXor(h.parts, fileId, first, bytes), [], 'no part under this key carries the changed bytes');
});

t.test('a file rewritten on disk under its Blob fails to read: nothing from the new bytes is encrypted, and the original resumes', async (t) => {
  // Node's openAsBlob, like a browser's File ([Note: a picked file that cannot be read
  // again]), refuses to open a file changed since the Blob was made.
  const h = hostile();
  const dir = await mkdtemp(path.join(tmpdir(), 'tv-blob-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'v.mp4');
  const first = randomBytes(20 * CHUNK);
  const later = Buffer.from(first);
  later[9 * CHUNK + 3] = later[9 * CHUNK + 3]! ^ 1;
  await writeFile(file, first);
  let rewritten = false;
  const fetchFn: typeof fetch = async (input, init) => {
    if (init?.method === 'POST' && /\/v1\/records\/[^/]+\/files$/.test(new URL(String(input)).pathname)) {
      await writeFile(file, later);
      rewritten = true;
    }
    return h.fetch(input, init);
  };
  const { vault, id } = await owner(fetchFn);
  const fileId = 'e5f6a7b8-c9d0-4e1f-9a2b-3c4d5e6f7a81';
  await t.rejects(vault.attachFile(id, await openAsBlob(file), { name: 'v.mp4', type: 'video/mp4', chunkSize: CHUNK, fileId }), UploadSourceChangedError);
  t.ok(rewritten, 'the file was rewritten between the reading that commits and the one that encrypts');
  t.same(h.parts.filter((p) => p.fileId === fileId), [], 'nothing was sent: the Blob could not be read again');

  // A Blob of the file as it is now: its SHA-256 is not the committed one. The original: it resumes.
  h.state.forget = true;
  await t.rejects(vault.resumeUpload(id, fileId, await openAsBlob(file), { name: 'v.mp4', type: 'video/mp4' }), UploadSourceChangedError);
  t.same(h.parts.filter((p) => p.fileId === fileId), [], 'still nothing sent');
  await writeFile(file, first);
  const res = await vault.resumeUpload(id, fileId, await openAsBlob(file), { name: 'v.mp4', type: 'video/mp4' });
  t.equal(res.size, first.length);
  t.same(leakedXor(h.parts, fileId, first, later), [], 'no part under this key carries the changed bytes');
  t.ok((await readAll(await vault.openFile(id, fileId))).equals(first), 'the file downloads byte-identical');
});

t.test('an upload from a stream (read once, so nothing committed) resumes under a new key, never the old one', async (t) => {
  const h = hostile();
  const { vault, id } = await owner(h.fetch);
  const first = randomBytes(20 * CHUNK + 5);
  const fileId = 'c3d4e5f6-a7b8-4c9d-8e1f-2a3b4c5d6e7f';
  async function* dies() {
    yield first.subarray(0, 17 * CHUNK);
    throw new Error('the pipe closed');
  }
  await t.rejects(vault.attachFile(id, dies(), { name: 'v.mp4', type: 'video/mp4', chunkSize: CHUNK, fileId }), /pipe/);
  const oldKey = (await server.db.selectFrom('files').select('wrapped_key').where('id', '=', fileId).executeTakeFirstOrThrow()).wrapped_key;
  h.state.forget = true;
  const changed = randomBytes(first.length);
  const res = await vault.resumeUpload(id, fileId, changed, { name: 'v.mp4', type: 'video/mp4' });
  t.equal(res.size, changed.length);
  const row = await server.db.selectFrom('files').select(['wrapped_key', 'header']).where('id', '=', fileId).executeTakeFirstOrThrow();
  t.notOk(Buffer.from(row.wrapped_key).equals(Buffer.from(oldKey)), 'the resumed upload was started again under a new wrapped key');
  t.same(leakedXor(h.parts, fileId, first, changed), [], 'the parts sent twice do not XOR to the plaintexts');
  const out = await readAll(await vault.openFile(id, fileId));
  t.ok(out.equals(changed), 'the file is the one given at the resume');
});
