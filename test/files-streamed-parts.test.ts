// Parts that arrive in pieces, are cut, refused half-way or sent at the same time
// ([Note: streamed parts]): on PostgreSQL a part is copied into the database while it
// arrives; on the embedded database it is received first. Either way a part is all or
// nothing, and the file's byte count is the sum of what is stored.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { sql } from 'kysely';
import t from 'tap';
import { Vault } from '@testimony-vault/client/node';
import { CHUNK_OVERHEAD, MIN_CHUNK_SIZE } from '@testimony-vault/protocol';
import { build, capturingFetch, handle, testClient } from './helper.ts';

const server = await build(t);
const db = server.db;
const CHUNK = MIN_CHUNK_SIZE;
const STRIDE = CHUNK + CHUNK_OVERHEAD;
const PART_CHUNKS = 2;

async function newUpload() {
  const cap = capturingFetch();
  const vault = (await Vault.register({ server: server.url, handle: handle('sp'), passphrase: 'p', ...testClient, fetch: cap.fetch })).vault;
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const token = cap.tokens[0]!;
  const fileId = randomUUID();
  const res = await fetch(`${server.url}/v1/records/${id}/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fileId, chunkSize: CHUNK, partChunks: PART_CHUNKS, header: 'A'.repeat(32), wrappedKey: 'A'.repeat(140) }),
  });
  if (res.status !== 201) throw new Error(`create: ${res.status}`);
  return { token, fileId };
}

/** PUT a part from pieces, chunked (no content-length) unless `length` is given; `cutAfter` pieces then the socket is destroyed. */
function putPart(token: string, fileId: string, part: number, pieces: Buffer[], opts: { length?: number; cutAfter?: number } = {}): Promise<{ status: number; code: string | undefined } | 'cut'> {
  const url = new URL(`/v1/files/${fileId}/parts/${part}`, server.url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' };
    if (opts.length !== undefined) headers['content-length'] = String(opts.length);
    const req = http.request(url, { method: 'PUT', headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, code: res.statusCode! >= 400 ? (JSON.parse(body) as { code: string }).code : undefined }));
    });
    req.on('error', (err) => (opts.cutAfter !== undefined ? resolve('cut') : reject(err)));
    let i = 0;
    const next = () => {
      if (opts.cutAfter !== undefined && i === opts.cutAfter) {
        // Let the pieces reach the server, then cut the connection in the middle of the part.
        setTimeout(() => req.destroy(), 300);
        return;
      }
      if (i === pieces.length) return void req.end();
      req.write(pieces[i++], () => setTimeout(next, 20));
    };
    next();
  });
}

const piecesOf = (data: Buffer, size: number) => Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));

async function stored(fileId: string) {
  const chunks = await db
    .selectFrom('file_chunks')
    .select(['idx', sql<number>`octet_length(data)`.as('size'), 'data'])
    .where('file_id', '=', fileId)
    .orderBy('idx')
    .execute();
  const file = await db.selectFrom('files').select('stored_bytes').where('id', '=', fileId).executeTakeFirstOrThrow();
  return { chunks, storedBytes: Number(file.stored_bytes) };
}

t.test('a part in odd-sized pieces, without a length, is cut into the same chunks', async (t) => {
  const { token, fileId } = await newUpload();
  const data = randomBytes(STRIDE + 1000);
  t.same(await putPart(token, fileId, 3, piecesOf(data, 7777)), { status: 200, code: undefined });
  const { chunks, storedBytes } = await stored(fileId);
  t.same(chunks.map((c) => [c.idx, Number(c.size)]), [[6, STRIDE], [7, 1000]], 'chunks 6 and 7, the last one short');
  t.ok(Buffer.concat(chunks.map((c) => c.data)).equals(data), 'the bytes as sent');
  t.equal(storedBytes, data.length);
});

t.test('a part refused half-way (more chunks than a part holds, no length declared) stores nothing and keeps the part it replaced', async (t) => {
  const { token, fileId } = await newUpload();
  const first = randomBytes(2 * STRIDE);
  t.same(await putPart(token, fileId, 0, [first]), { status: 200, code: undefined });
  const tooLong = randomBytes(3 * STRIDE);
  t.same(await putPart(token, fileId, 0, piecesOf(tooLong, 16 * 1024)), { status: 400, code: 'VAULT_ERR_BAD_PART' });
  t.same(await putPart(token, fileId, 1, piecesOf(randomBytes(STRIDE + 5), 16 * 1024)), { status: 400, code: 'VAULT_ERR_BAD_PART' }, 'a last chunk shorter than its overhead');
  const { chunks, storedBytes } = await stored(fileId);
  t.same(chunks.map((c) => c.idx), [0, 1], 'only the part stored before');
  t.ok(Buffer.concat(chunks.map((c) => c.data)).equals(first), 'its bytes unchanged');
  t.equal(storedBytes, first.length);
});

t.test('a connection cut in the middle of a part leaves nothing of it; sent again, it is stored whole', async (t) => {
  const { token, fileId } = await newUpload();
  const data = randomBytes(2 * STRIDE);
  const pieces = piecesOf(data, 32 * 1024);
  t.equal(await putPart(token, fileId, 0, pieces, { length: data.length, cutAfter: pieces.length - 2 }), 'cut');
  // The server notices the cut and rolls back; give it the moment it takes.
  for (let i = 0; i < 50 && (await stored(fileId)).chunks.length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  const afterCut = await stored(fileId);
  t.same(afterCut.chunks.map((c) => c.idx), [], 'no chunk of the cut part');
  t.equal(afterCut.storedBytes, 0, 'no byte counted');
  t.same(await putPart(token, fileId, 0, pieces, { length: data.length }), { status: 200, code: undefined });
  const { chunks, storedBytes } = await stored(fileId);
  t.ok(Buffer.concat(chunks.map((c) => c.data)).equals(data), 'the part as sent the second time');
  t.equal(storedBytes, data.length);
});

t.test('parts sent at the same time, one of them twice: every chunk stored once, the byte count their sum', async (t) => {
  const { token, fileId } = await newUpload();
  const parts = [randomBytes(2 * STRIDE), randomBytes(2 * STRIDE), randomBytes(STRIDE + 100)];
  const again = randomBytes(2 * STRIDE);
  const results = await Promise.all([
    putPart(token, fileId, 0, piecesOf(parts[0]!, 64 * 1024)),
    putPart(token, fileId, 1, piecesOf(parts[1]!, 64 * 1024)),
    putPart(token, fileId, 2, piecesOf(parts[2]!, 64 * 1024)),
    putPart(token, fileId, 1, piecesOf(again, 64 * 1024)),
  ]);
  t.same(results, Array(4).fill({ status: 200, code: undefined }), 'all four accepted');
  const { chunks, storedBytes } = await stored(fileId);
  t.same(chunks.map((c) => c.idx), [0, 1, 2, 3, 4, 5]);
  const part1 = Buffer.concat(chunks.slice(2, 4).map((c) => c.data));
  t.ok(part1.equals(parts[1]!) || part1.equals(again), 'part 1 is one of the two bodies sent, whole');
  t.equal(storedBytes, chunks.reduce((n, c) => n + Number(c.size), 0), 'the count is what is stored');
});
