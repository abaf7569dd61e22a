import { randomBytes, randomUUID } from 'node:crypto';
import t from 'tap';
import { CHUNK_OVERHEAD } from '@testimony-vault/protocol';
import '@testimony-vault/client/node';
import { chunkAd } from '../client-lib/src/files/file-key.ts';
import { partBody } from '../client-lib/src/files/platform.ts';
import { loadNativeEngine } from '../client-lib/src/node/native-secretstream.ts';

// [Note: native parts]: Node's native engine seals a part's chunks straight into its body.
// The bytes must be exactly those push() seals (a resume, or a download through either
// engine, agrees), a body once taken must never be written again (it is sent as it is, with
// the next part sealed while it travels), and nothing may go past the part's room.

const native = loadNativeEngine();
const CHUNK = 4096;

t.test('a part sealed in place is byte for byte what push() seals, and stays so', { skip: native ? false : 'sodium-native does not load here' }, async (t) => {
  const engine = native!;
  const key = randomBytes(32);
  const ad = chunkAd(randomUUID());
  const chunks = [randomBytes(CHUNK), randomBytes(CHUNK), randomBytes(CHUNK), randomBytes(100)];
  const { state, header } = engine.initPush(key);
  const expected = chunks.map((c, i) => Buffer.from(engine.push(state, c, ad, i === chunks.length - 1)));

  const again = engine.initPull(header, key);
  const buffer = engine.partBuffer!(again, ad, CHUNK, 2 * (CHUNK + CHUNK_OVERHEAD));
  const bodies: Uint8Array[] = [];
  const copies: Buffer[] = [];
  chunks.forEach((c, i) => {
    t.equal(buffer.push(c, i === chunks.length - 1), c.length + CHUNK_OVERHEAD);
    if (i % 2 === 1) {
      const body = buffer.take();
      bodies.push(body);
      copies.push(Buffer.from(body));
    }
  });
  buffer.dispose();
  t.same(copies, [Buffer.concat(expected.slice(0, 2)), Buffer.concat(expected.slice(2))], 'two parts, the same bytes');
  t.same(bodies.map((b) => Buffer.from(b)), copies, 'the first body unchanged after the second part was sealed');
  t.equal(partBody([bodies[0]!]), bodies[0], 'sent as it is, not copied');
  const other = new Uint8Array(8);
  t.not(partBody([other]), other, 'a body of any other origin is copied');

  const opened = engine.initPull(header, key);
  t.same(expected.map((c) => Buffer.from(engine.pull(opened, c, ad).message)), chunks, 'and they open');
});

t.test('a native part buffer refuses a chunk larger than its room, and a state it did not make', { skip: native ? false : 'sodium-native does not load here' }, async (t) => {
  const engine = native!;
  const ad = chunkAd(randomUUID());
  const { state } = engine.initPush(randomBytes(32));
  const buffer = engine.partBuffer!(state, ad, CHUNK, 2 * (CHUNK + CHUNK_OVERHEAD));
  t.throws(() => buffer.push(new Uint8Array(CHUNK + 1), false), RangeError, 'larger than a chunk');
  buffer.push(new Uint8Array(CHUNK), false);
  buffer.push(new Uint8Array(CHUNK), false);
  t.throws(() => buffer.push(new Uint8Array(1), false), RangeError, 'a third chunk in a part of two');
  buffer.dispose();
  t.throws(() => engine.partBuffer!(new Uint8Array(12), ad, CHUNK, CHUNK + CHUNK_OVERHEAD), TypeError, 'bytes that are no state of this engine');
});
