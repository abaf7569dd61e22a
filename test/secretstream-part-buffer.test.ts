import { randomBytes, randomUUID } from 'node:crypto';
import t from 'tap';
import { CHUNK_OVERHEAD } from '@testimony-vault/protocol';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { wasmEngine } from '../client-lib/src/crypto/secretstream.ts';
import { chunkAd } from '../client-lib/src/files/file-key.ts';

// [Note: parts encrypted in place]: the WebAssembly engine's part buffer calls libsodium
// directly. It must produce exactly the bytes push() produces (the same stream, so a resume
// or a download on the other path agrees), and never write past the room it was given.

const s = await sodiumReady();
const wasm = wasmEngine(s);
const CHUNK = 4096;

t.test('a part sealed in place is byte for byte the chunks push() seals, part after part', async (t) => {
  const key = s.crypto_secretstream_xchacha20poly1305_keygen();
  const ad = chunkAd(randomUUID());
  const chunks = [randomBytes(CHUNK), randomBytes(CHUNK), randomBytes(CHUNK), randomBytes(100)];
  const { state, header } = wasm.initPush(key);
  const expected = chunks.map((c, i) => Buffer.from(wasm.push(state, c, ad, i === chunks.length - 1)));

  const again = wasm.initPull(header, key);
  const buffer = wasm.partBuffer!(again, ad, CHUNK, 2 * (CHUNK + CHUNK_OVERHEAD));
  const parts: Buffer[] = [];
  chunks.forEach((c, i) => {
    t.equal(buffer.push(c, i === chunks.length - 1), c.length + CHUNK_OVERHEAD);
    if (i % 2 === 1) parts.push(Buffer.from(buffer.take()));
  });
  buffer.dispose();
  t.same(parts, [Buffer.concat(expected.slice(0, 2)), Buffer.concat(expected.slice(2))], 'two parts, the same bytes');

  const opened = wasm.initPull(header, key);
  const back = expected.map((c) => wasm.pull(opened, c, ad));
  t.same(back.map((b) => Buffer.from(b.message)), chunks.map((c) => Buffer.from(c)), 'and they open');
  t.same(back.map((b) => b.final), [false, false, false, true], 'only the last is final');
});

t.test('a part buffer refuses a chunk larger than its room, and a state it did not make', async (t) => {
  const key = s.crypto_secretstream_xchacha20poly1305_keygen();
  const ad = chunkAd(randomUUID());
  const { state } = wasm.initPush(key);
  const buffer = wasm.partBuffer!(state, ad, CHUNK, 2 * (CHUNK + CHUNK_OVERHEAD));
  t.throws(() => buffer.push(new Uint8Array(CHUNK + 1), false), RangeError, 'larger than a chunk');
  buffer.push(new Uint8Array(CHUNK), false);
  buffer.push(new Uint8Array(CHUNK), false);
  t.throws(() => buffer.push(new Uint8Array(1), false), RangeError, 'a third chunk in a part of two');
  buffer.dispose();
  t.throws(() => wasm.partBuffer!(new Uint8Array(52), ad, CHUNK, CHUNK + CHUNK_OVERHEAD), TypeError, 'bytes are no state of this engine');
});
