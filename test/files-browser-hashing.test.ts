// The browser's way of hashing and reading files ([Note: hashing files in a browser]), run
// here in Node from the core entry point, which installs no native SHA-256: the whole file
// through libsodium's crypto_hash_sha256, each chunk through WebCrypto, a Blob read through
// its stream's BYOB reader ([Note: reading a Blob into reused buffers]). What it computes must be plain SHA-256 (the custody hash a court compares with
// the original) and must still stop a changed source before it is encrypted.
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { UploadSourceChangedError, Vault } from '@testimony-vault/client';
import { platform } from '../client-lib/src/files/platform.ts';
import { build, handle, testClient } from './helper.ts';

const server = await build(t);
const CHUNK = 64 * 1024;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const piece of stream as unknown as AsyncIterable<Uint8Array>) out.push(piece);
  return Buffer.concat(out);
}

async function owner(fetchFn: typeof fetch = fetch) {
  const { vault } = await Vault.register({ server: server.url, handle: handle('bh'), passphrase: 'p', ...testClient, fetch: fetchFn });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  return { vault, id };
}

t.test('no native SHA-256 is installed here: this is the browser path', async (t) => {
  t.equal(platform.sha256, undefined);
  t.ok(globalThis.crypto?.subtle, 'WebCrypto is there for the chunk digests');
});

t.test('a Blob over several slices and parts: the custody SHA-256 is the standard one, and the file comes back whole', async (t) => {
  const { vault, id } = await owner();
  // Not a multiple of the chunk or of the 8 MiB slice: chunks straddle a slice boundary.
  const bytes = randomBytes(8 * 1024 * 1024 + 5 * CHUNK + 777);
  const res = await vault.attachFile(id, new Blob([bytes]), { name: 'v.mp4', type: 'video/mp4', chunkSize: CHUNK });
  t.equal(res.sha256, createHash('sha256').update(bytes).digest('hex'));
  t.equal(res.size, bytes.length);
  const back = await readAll(await vault.openFile(id, res.fileId));
  t.ok(back.equals(bytes), 'byte-identical');
  const file = (await vault.getRecord(id)).attachments.find((f) => f.fileId === res.fileId);
  t.equal(file?.sha256, res.sha256, 'the manifest carries the same hash');
});

t.test('a changed source is refused before encryption: mid-upload (chunk digests), and on resume (the committed SHA-256)', async (t) => {
  const sent: number[] = [];
  let failPart: number | undefined = 1;
  const fetchFn: typeof fetch = async (input, init) => {
    const put = /\/parts\/(\d+)$/.exec(new URL(String(input)).pathname);
    if (put && init?.method === 'PUT') {
      sent.push(Number(put[1]));
      if (Number(put[1]) === failPart) throw new TypeError('fetch failed: connection reset');
    }
    return fetch(input, init);
  };
  const { vault, id } = await owner(fetchFn);
  const first = randomBytes(20 * CHUNK);
  const changed = Buffer.from(first);
  changed[17 * CHUNK] = changed[17 * CHUNK]! ^ 1; // in part 2
  const fileId = 'c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f';

  // The Blob changes between the reading that commits and the one that encrypts, whether it
  // is read through its stream or in slices.
  let readings = 0;
  const changing = new Blob([first]);
  const slice = changing.slice.bind(changing);
  const stream = changing.stream.bind(changing);
  changing.slice = (start = 0, end, type) => {
    if (start === 0) readings += 1;
    return readings === 1 ? slice(start, end, type) : new Blob([changed]).slice(start, end, type);
  };
  changing.stream = () => {
    readings += 1;
    return readings === 1 ? stream() : new Blob([changed]).stream();
  };
  failPart = undefined;
  await t.rejects(vault.attachFile(id, changing, { name: 'v.mp4', type: 'video/mp4', chunkSize: CHUNK, fileId }), UploadSourceChangedError);
  t.same(sent, [0, 1], 'the parts before the change went, not the changed one');

  // A resume with other bytes than were committed sends nothing; with the same ones, the rest.
  sent.length = 0;
  await t.rejects(vault.resumeUpload(id, fileId, new Blob([changed]), { name: 'v.mp4', type: 'video/mp4' }), UploadSourceChangedError);
  t.same(sent, [], 'nothing sent for a source whose SHA-256 is not the committed one');
  const res = await vault.resumeUpload(id, fileId, new Blob([first]), { name: 'v.mp4', type: 'video/mp4' });
  t.equal(res.sha256, createHash('sha256').update(first).digest('hex'));
  t.same(sent, [2], 'only the missing part');
  t.ok((await readAll(await vault.openFile(id, fileId))).equals(first), 'byte-identical');
});
