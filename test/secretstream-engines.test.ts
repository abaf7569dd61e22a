import { randomBytes, randomUUID } from 'node:crypto';
import t from 'tap';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { wasmEngine, type SecretStreamEngine } from '../client-lib/src/crypto/secretstream.ts';
import { chunkAd } from '../client-lib/src/files/file-key.ts';
import { loadNativeEngine } from '../client-lib/src/node/native-secretstream.ts';

// [Note: file stream engines]: native libsodium and the WebAssembly build must produce and
// accept exactly the same bytes, and refuse the same tampering.

const s = await sodiumReady();
const wasm = wasmEngine(s);
const native = loadNativeEngine();
// sodium-native ships prebuilt binaries for linux-x64, the platform of the project's machines
// and CI; elsewhere the client falls back to WebAssembly and this file has nothing to compare.
if (!native) t.comment(`sodium-native did not load on ${process.platform}-${process.arch}: only the WebAssembly engine is checked`);

function seal(engine: SecretStreamEngine, key: Uint8Array, chunks: Uint8Array[], ad: Uint8Array, from?: Uint8Array) {
  const { state, header } = from ? { state: engine.initPull(from, key), header: from } : engine.initPush(key);
  return { header, sealed: chunks.map((c, i) => engine.push(state, c, ad, i === chunks.length - 1)) };
}

function open(engine: SecretStreamEngine, key: Uint8Array, header: Uint8Array, sealed: Uint8Array[], ad: Uint8Array) {
  const state = engine.initPull(header, key);
  return sealed.map((c) => engine.pull(state, c, ad));
}

if (native) {
  const pairs: [string, SecretStreamEngine, SecretStreamEngine][] = [
    ['native seals, WebAssembly opens', native, wasm],
    ['WebAssembly seals, native opens', wasm, native],
  ];
  for (const [name, sealer, opener] of pairs) {
    t.test(name, async (t) => {
      const key = s.crypto_secretstream_xchacha20poly1305_keygen();
      const ad = chunkAd(randomUUID());
      const chunks = [randomBytes(65536), randomBytes(65536), randomBytes(17), new Uint8Array(0)];
      const { header, sealed } = seal(sealer, key, chunks, ad);
      const opened = open(opener, key, header, sealed, ad);
      t.same(opened.map((o) => Buffer.from(o.message)), chunks.map((c) => Buffer.from(c)), 'every chunk back');
      t.same(opened.map((o) => o.final), [false, false, false, true], 'only the last is final');

      const flipped = sealed.map((c) => c.slice());
      flipped[1]![40]! ^= 1;
      t.throws(() => open(opener, key, header, flipped, ad), 'a flipped byte is refused');
      t.throws(() => open(opener, key, header, [sealed[1]!, sealed[0]!], ad), 'reordered chunks are refused');
      t.throws(() => open(opener, key, header, sealed, chunkAd(randomUUID())), "another file's associated data is refused");
      t.throws(() => open(opener, s.crypto_secretstream_xchacha20poly1305_keygen(), header, sealed, ad), 'another key is refused');
      t.throws(() => open(opener, key, header, [sealed[0]!.subarray(0, 10)], ad), 'a chunk shorter than its tag is refused');
    });
  }

  t.test('a stream resumed from its header is byte-identical on either engine', async (t) => {
    const key = s.crypto_secretstream_xchacha20poly1305_keygen();
    const ad = chunkAd(randomUUID());
    const chunks = [randomBytes(1000), randomBytes(1000), randomBytes(5)];
    const first = seal(native, key, chunks, ad);
    const again = seal(wasm, key, chunks, ad, first.header);
    t.same(again.sealed.map((c) => Buffer.from(c)), first.sealed.map((c) => Buffer.from(c)), 'WebAssembly re-encrypts what native sealed, byte for byte');
    const back = seal(native, key, chunks, ad, again.header);
    t.same(back.sealed.map((c) => Buffer.from(c)), first.sealed.map((c) => Buffer.from(c)), 'and native what WebAssembly did');
  });
}

t.test("each engine refuses a state it did not make (another engine's would be read as an all-zero state)", async (t) => {
  const key = s.crypto_secretstream_xchacha20poly1305_keygen();
  const ad = chunkAd(randomUUID());
  const wasmState = wasm.initPush(key).state;
  t.throws(() => wasm.push(new Uint8Array(52), new Uint8Array(8), ad, false), TypeError, 'WebAssembly refuses bytes');
  t.throws(() => wasm.pull(0, new Uint8Array(40), ad), TypeError, 'WebAssembly refuses address 0');
  if (native) {
    const nativeState = native.initPush(key).state;
    t.throws(() => wasm.push(nativeState, new Uint8Array(8), ad, false), TypeError, "WebAssembly refuses native's state");
    t.throws(() => native.push(wasmState, new Uint8Array(8), ad, false), TypeError, "native refuses WebAssembly's state");
  }
});
