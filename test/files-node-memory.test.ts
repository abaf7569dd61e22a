// Node's upload moves a file's bytes with as few copies and fresh allocations as it can
// ([Note: part bodies in Node], [Note: native parts], chunksOf's `reuse`), and memory is taken
// again only once nothing can still read it: a reused chunk only after the consumer asked for
// the next, a part's body only after its request settled, a piece of the source never.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import t from 'tap';
import { CHUNK_OVERHEAD } from '@testimony-vault/protocol';
import { Vault, toNodeReadable } from '@testimony-vault/client/node';
import { chunksOf } from '../client-lib/src/files/chunker.ts';
import { chunkAd } from '../client-lib/src/files/file-key.ts';
import { loadNativeEngine } from '../client-lib/src/node/native-secretstream.ts';
import { build, handle, partBodyOf, testClient } from './helper.ts';

const CHUNK = 64 * 1024;

async function* piecesOf(data: Buffer, sizes: number[]): AsyncIterable<Uint8Array> {
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - at);
    yield data.subarray(at, at + n);
    at += n;
  }
}

t.test('chunks copied into reused memory are the same chunks, and a piece given as a view is never written', async (t) => {
  const data = randomBytes(10 * CHUNK + 123);
  const expected = Array.from({ length: 11 }, (_, i) => data.subarray(i * CHUNK, Math.min((i + 1) * CHUNK, data.length)));
  for (const [name, sizes, views] of [
    ['pieces across chunk boundaries', [CHUNK / 2 + 7, CHUNK + 3, 1000], false],
    ['whole-chunk pieces as views, the rest copied', [CHUNK, CHUNK, CHUNK / 3], true],
  ] as const) {
    const before = Buffer.from(data);
    const got: Buffer[] = [];
    const memory = new Set<ArrayBufferLike>();
    for await (const { chunk } of chunksOf(piecesOf(data, [...sizes]), CHUNK, views, true)) {
      got.push(Buffer.from(chunk)); // used before the next is asked for, as the uploader does
      if (chunk.buffer !== data.buffer) memory.add(chunk.buffer);
    }
    t.same(got, expected, `${name}: the chunks`);
    t.ok(data.equals(before), `${name}: the source's pieces unchanged`);
    t.ok(memory.size <= 3, `${name}: copied chunks in at most three buffers (${memory.size}), not one each`);
  }
  // Without reuse, a consumer may keep every chunk.
  const kept: Uint8Array[] = [];
  for await (const { chunk } of chunksOf(piecesOf(data, [1000]), CHUNK)) kept.push(chunk);
  t.same(kept.map((c) => Buffer.from(c)), expected, 'without reuse, chunks kept to the end stay as they were');
});

const native = loadNativeEngine();

t.test('a native part buffer writes a body again only once it is released', { skip: native ? false : 'sodium-native does not load here' }, async (t) => {
  const engine = native!;
  const key = randomBytes(32);
  const ad = chunkAd(randomUUID());
  const chunks = Array.from({ length: 6 }, () => randomBytes(CHUNK));
  const { state, header } = engine.initPush(key);
  const expected = chunks.map((c, i) => Buffer.from(engine.push(state, c, ad, i === chunks.length - 1)));
  const part = (i: number) => Buffer.concat(expected.slice(2 * i, 2 * i + 2));

  const buffer = engine.partBuffer!(engine.initPull(header, key), ad, CHUNK, 2 * (CHUNK + CHUNK_OVERHEAD));
  const seal = (i: number) => {
    buffer.push(chunks[2 * i]!, false);
    buffer.push(chunks[2 * i + 1]!, 2 * i + 1 === chunks.length - 1);
    return buffer.take();
  };
  const first = seal(0);
  const second = seal(1);
  t.not(second.buffer, first.buffer, 'a body not released is not written: the next part has memory of its own');
  buffer.release!(new Uint8Array(8));
  buffer.release!(first);
  buffer.release!(first); // twice: the second time is nothing
  const third = seal(2);
  t.equal(third.buffer, first.buffer, 'the released body\'s memory takes the next part');
  t.same([Buffer.from(second), Buffer.from(third)], [part(1), part(2)], 'the same bytes push() seals');
  t.ok(Buffer.from(second).equals(part(1)), 'the body in flight unchanged while the next was sealed');
  buffer.dispose();
});

t.test('Node sends each part as a stream of known length, a new one for each sending', async (t) => {
  const server = await build(t);
  const seen: { length: string | null; stream: boolean; bytes: number }[] = [];
  let busy = 1;
  let statusAsked = 0;
  const fetchFn: typeof fetch = async (input, init) => {
    if (String(input).endsWith('/upload')) statusAsked += 1;
    if (init?.method === 'PUT' && /\/parts\/\d+$/.test(String(input))) {
      const headers = new Headers(init.headers);
      const stream = init.body instanceof ReadableStream;
      const sent = await partBodyOf(init);
      seen.push({ length: headers.get('content-length'), stream, bytes: sent.bytes.length });
      // A server that says it is busy: the part is sent again, its stream made anew.
      if (busy-- > 0) return new Response(JSON.stringify({ code: 'VAULT_ERR_BUSY', message: 'busy' }), { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '0' } });
      init = sent.init;
    }
    return fetch(input, init);
  };
  const vault = (await Vault.register({ server: server.url, handle: handle('mem'), passphrase: 'p', ...testClient, fetch: fetchFn })).vault;
  const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
  const data = randomBytes(20 * CHUNK + 5);
  const res = await vault.attachFile(id, data, { name: 'v.mp4', type: 'video/mp4', chunkSize: CHUNK });
  t.ok(seen.length >= 3, 'parts were sent');
  t.ok(seen.every((s) => s.stream), 'each body a stream (undici copies a body of bytes)');
  t.ok(seen.every((s) => s.length === String(s.bytes) && s.bytes > 0), 'each with its length said, and every byte of it read');
  t.equal(seen[0]!.bytes, seen[1]!.bytes, 'the part refused as busy was sent again whole');
  t.equal(statusAsked, 0, 'at once, as a busy answer is: not after a failed sending');
  const back: Buffer[] = [];
  for await (const p of toNodeReadable(await vault.openFile(id, res.fileId))) back.push(p as Buffer);
  t.equal(createHash('sha256').update(Buffer.concat(back)).digest('hex'), createHash('sha256').update(data).digest('hex'), 'the file comes back byte for byte');
});
