import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { Vault, toNodeReadable } from '@testimony-vault/client/node';
import { BinaryCopyColumn } from '../server/src/files/store.ts';
import { ChunkDownload } from '../server/src/files/download-stream.ts';
import { build, capturingFetch, handle, testClient } from './helper.ts';

// [Note: download slots]: a download copies each batch of chunks into one of two slots and
// fills a slot again only once what was sent from it has left the process. A reader that
// stops for a while leaves megabytes waiting in the response; were a slot filled again
// then, the bytes still waiting would be overwritten and the file would arrive corrupted.

const server = await build(t);
const MiB = 1024 * 1024;

t.test('a reader that pauses gets every byte: no slot is refilled while its bytes wait to be sent', async (t) => {
  const cap = capturingFetch();
  const vault = (await Vault.register({ server: server.url, handle: handle('slots'), passphrase: 'p', ...testClient, fetch: cap.fetch })).vault;
  const { id } = await vault.createRecord({ title: 'slow reader', narrative: 'x' });
  // 24 chunks of 1 MiB: six batches, more than the kernel's socket buffers take in one go.
  const data = randomBytes(24 * MiB);
  const { fileId } = await vault.attachFile(id, data, { name: 'video.mp4', type: 'video/mp4' });

  // The encrypted stream, read slowly: first a little, then a long pause, then the rest.
  const res = await fetch(`${server.url}/v1/files/${fileId}`, { headers: { authorization: `Bearer ${cap.tokens[0]}` } });
  const reader = res.body!.getReader();
  const slow: Uint8Array[] = [];
  for (let i = 0; i < 3; i++) {
    slow.push((await reader.read()).value!);
    await sleep(400);
  }
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    slow.push(value);
  }
  const fast = Buffer.from(await (await fetch(`${server.url}/v1/files/${fileId}`, { headers: { authorization: `Bearer ${cap.tokens[0]}` } })).arrayBuffer());
  t.ok(Buffer.concat(slow).equals(fast), 'the same encrypted bytes whether read slowly or at once');

  // And decrypted (every chunk authenticated, the SHA-256 checked) by a reader that pauses.
  const pieces: Buffer[] = [];
  let paused = false;
  for await (const piece of toNodeReadable(await vault.openFile(id, fileId))) {
    pieces.push(piece as Buffer);
    if (!paused) {
      paused = true;
      await sleep(1500);
    }
  }
  t.ok(Buffer.concat(pieces).equals(data), 'byte-identical after a pause');
});

t.test('binary COPY into a target: one view of the target per value, never past its end', async (t) => {
  const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
  // Per row: the field count (1), the value's length, its bytes.
  const withLength = (bytes: Buffer) => {
    const r = Buffer.alloc(6);
    r.writeInt16BE(1, 0);
    r.writeInt32BE(bytes.length, 2);
    return Buffer.concat([r, bytes]);
  };
  const values = [randomBytes(300), randomBytes(5), randomBytes(0), randomBytes(200)];
  const copy = Buffer.concat([header, ...values.map(withLength), Buffer.from([0xff, 0xff])]);
  const target = Buffer.alloc(505);
  const parser = new BinaryCopyColumn(target);
  // Fed in awkward pieces, as a socket would.
  for (let at = 0; at < copy.length; at += 7) parser.push(copy.subarray(at, at + 7));
  t.ok(parser.ended, 'the trailer was read');
  t.equal(parser.values, 4);
  t.same(parser.pieces.map((p) => Buffer.from(p)), values, 'each value whole and in order');
  t.ok(parser.pieces.every((p) => p.buffer === target.buffer), 'every piece is a view of the target');

  const small = new BinaryCopyColumn(Buffer.alloc(304));
  t.throws(() => small.push(copy), /more bytes than the target holds/, 'a value that does not fit is refused');
});

t.test('a batch that fails while read ahead fails the download, with no rejection left unhandled', async (t) => {
  const stride = 32 * 1024; // a batch above the stream's high-water mark: the next is read ahead, not yet awaited
  const store = {
    readChunks: async (_fileId: string, from: number, count: number, into?: Buffer) => {
      if (from >= 2) throw new Error('the database went away');
      return Array.from({ length: count }, (_, i) => into!.subarray(i * stride, (i + 1) * stride).fill(from + i));
    },
    putChunks: async () => 0,
    chunkIndices: async () => [],
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => void process.off('unhandledRejection', onUnhandled));
  const got: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, done) {
      got.push(Buffer.from(chunk));
      setTimeout(done, 50); // a slow client: the next batch is read ahead, and fails, before it is wanted
    },
  });
  const body = new ChunkDownload(store, randomUUID(), 0, 6, stride, 2, sink);
  await t.rejects(pipeline(body, sink), /the database went away/, 'the download fails');
  await sleep(50);
  t.same(unhandled, [], 'no rejection went unhandled');
  t.ok(got.length <= 2 && got.every((b, i) => b.equals(Buffer.alloc(stride, i))), 'only chunks of the first batch went out, whole and in order');
});
