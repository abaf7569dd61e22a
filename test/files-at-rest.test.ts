// Issue 17, item 6, from the thief's side: what a copy of the database says about the size
// of an evidence file. Files are padded to Padmé size classes ([Note: padded files]), so two
// files of different exact sizes in one class leave identical rows.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { padme } from '@testimony-vault/protocol';
import { Vault } from '@testimony-vault/client/node';
import { build, handle, testClient } from './helper.ts';

const CHUNK = 64 * 1024;
const server = await build(t);

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const piece of stream as unknown as AsyncIterable<Uint8Array>) out.push(piece);
  return Buffer.concat(out);
}

/** Everything the files tables hold about one file, as the thief reads it. */
async function seen(fileId: string) {
  const row = await server.db.selectFrom('files').select(['declared_size', 'stored_bytes', 'total_chunks', 'chunk_size']).where('id', '=', fileId).executeTakeFirstOrThrow();
  const chunks = await server.db.selectFrom('file_chunks').select((eb) => eb.fn<number>('octet_length', ['data']).as('n')).where('file_id', '=', fileId).orderBy('idx').execute();
  return { declared: row.declared_size === null ? null : Number(row.declared_size), stored: Number(row.stored_bytes), total: row.total_chunks, chunkSize: row.chunk_size, lengths: chunks.map((c) => Number(c.n)) };
}

t.test('a thief cannot tell two files of one size class apart, nor read the exact size of either', async (t) => {
  const { vault } = await Vault.register({ server: server.url, handle: handle('pad'), passphrase: 'p', ...testClient });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  // A photo of 2,310,554 bytes and one a kilobyte larger: both pad to 2,359,296.
  const sizes = [2_310_554, 2_311_578];
  t.equal(padme(sizes[0]!), padme(sizes[1]!), 'one size class');
  const views = [];
  for (const [i, size] of sizes.entries()) {
    const data = randomBytes(size);
    // A Blob (as from a browser) declares its size up front; a stream does not.
    const source = i === 0 ? new Blob([data]) : data;
    const res = await vault.attachFile(id, source, { name: `photo-${i}.jpg`, type: 'image/jpeg', chunkSize: CHUNK });
    const view = await seen(res.fileId);
    views.push(view);
    t.not(view.declared, size, 'declared_size is not the exact size');
    t.equal(view.declared, padme(size), 'declared_size is the size class');
    t.notOk(view.stored - Math.ceil(size / CHUNK) * 17 === size || view.stored - (Math.floor(size / CHUNK) + 1) * 17 === size, 'the stored bytes, less the per-chunk overhead, are not the exact size');
    // The owner still gets every byte, no more, and the SHA-256 taken at intake.
    t.ok((await readAll(await vault.openFile(id, res.fileId))).equals(data), 'byte-identical, the padding removed');
    const att = (await vault.getRecord(id)).attachments.find((a) => a.fileId === res.fileId)!;
    t.equal(att.size, size, 'the exact size lives in the encrypted manifest');
    t.equal(att.paddedSize, padme(size), 'with the padded size');
  }
  t.same(views[0], views[1], 'the two files leave identical rows: sizes, chunk count, every chunk length');
});

t.test('a stream of unknown size is padded as well', async (t) => {
  const { vault } = await Vault.register({ server: server.url, handle: handle('pad'), passphrase: 'p', ...testClient });
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const data = randomBytes(5 * CHUNK + 12345);
  async function* stream() {
    yield data;
  }
  const res = await vault.attachFile(id, stream(), { name: 'a.mp4', type: 'video/mp4', chunkSize: CHUNK });
  const view = await seen(res.fileId);
  const padded = padme(data.length);
  t.equal(view.stored, padded + Math.ceil(padded / CHUNK) * 17, 'stored: the padded size plus the per-chunk overhead');
  t.ok((await readAll(await vault.openFile(id, res.fileId))).equals(data), 'byte-identical');
});
