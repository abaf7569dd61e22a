import { randomBytes } from 'node:crypto';
import t from 'tap';
import sodium from 'libsodium-wrappers-sumo';
import { fromBase64Url, toBase64Url } from '@testimony-vault/protocol';
import { DecryptionError, SignatureError, Vault } from '@testimony-vault/client';
import { sodiumEngineName, sodiumReady, useSodiumEngine } from '../client-lib/src/crypto/sodium.ts';
import { loadNativeSodium } from '../client-lib/src/node/native-sodium.ts';
import { build, handle, testClient } from './helper.ts';

// [Note: native libsodium for records]: the native engine must answer exactly as the
// WebAssembly build does, failures included, and a listing through either engine must
// catch what an operator changes in the database.

const native = loadNativeSodium();
if (!native) throw new Error('sodium-native does not load here: this test needs it');
await sodium.ready;
const wasm = sodium;
useSodiumEngine(native);
const s = await sodiumReady();
useSodiumEngine(undefined);
t.equal(s === wasm, false, 'the engine answers through an overlay of libsodium');

const flip = (b: Uint8Array, i: number) => {
  const c = Uint8Array.from(b);
  c[i]! ^= 0x01;
  return c;
};
const outcome = (fn: () => unknown) => {
  try {
    return { value: fn() };
  } catch (err) {
    return { threw: (err as Error).message };
  }
};

t.test('signatures: the same verdict for the right bytes and for each one changed', async (t) => {
  const keys = wasm.crypto_sign_keypair();
  const other = wasm.crypto_sign_keypair();
  const message = randomBytes(300);
  const sig = wasm.crypto_sign_detached(message, keys.privateKey);
  t.equal(s.crypto_sign_verify_detached(sig, message, keys.publicKey), true, 'a good signature verifies natively');
  const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [
    ['signature flipped', flip(sig, 5), message, keys.publicKey],
    ['last signature byte', flip(sig, 63), message, keys.publicKey],
    ['message flipped', sig, flip(message, 0), keys.publicKey],
    ['another key', sig, message, other.publicKey],
    ['empty message', sig, new Uint8Array(0), keys.publicKey],
  ];
  for (const [what, a, m, pk] of cases) {
    t.equal(s.crypto_sign_verify_detached(a, m, pk), false, `${what}: refused natively`);
    t.equal(wasm.crypto_sign_verify_detached(a, m, pk), false, `${what}: refused by WebAssembly`);
  }
  // Lengths the native engine is not given go to WebAssembly, which throws.
  t.same(outcome(() => s.crypto_sign_verify_detached(sig.subarray(0, 63), message, keys.publicKey)), outcome(() => wasm.crypto_sign_verify_detached(sig.subarray(0, 63), message, keys.publicKey)), 'a short signature: the same error');
});

t.test('sealed boxes: the same plaintext, and the same refusal for a changed box or key', async (t) => {
  const box = wasm.crypto_box_keypair();
  const other = wasm.crypto_box_keypair();
  const secret = randomBytes(72);
  const sealed = wasm.crypto_box_seal(secret, box.publicKey);
  t.same(s.crypto_box_seal_open(sealed, box.publicKey, box.privateKey), secret, 'opens to the sealed bytes');
  for (const [what, c, pk, sk] of [
    ['a byte of the ephemeral key', flip(sealed, 0), box.publicKey, box.privateKey],
    ['a byte of the ciphertext', flip(sealed, 40), box.publicKey, box.privateKey],
    ['the last byte', flip(sealed, sealed.length - 1), box.publicKey, box.privateKey],
    ['another key pair', sealed, other.publicKey, other.privateKey],
    ['too short', sealed.subarray(0, 47), box.publicKey, box.privateKey],
  ] as const) {
    const n = outcome(() => s.crypto_box_seal_open(c, pk, sk));
    t.ok('threw' in n, `${what}: refused natively`);
    t.same(n, outcome(() => wasm.crypto_box_seal_open(c, pk, sk)), `${what}: as WebAssembly refuses it`);
  }
});

t.test('SHA-256 and key derivation: the same bytes', async (t) => {
  for (const size of [0, 1, 63, 64, 1000, 70_000]) {
    const m = randomBytes(size);
    t.same(s.crypto_hash_sha256(m), wasm.crypto_hash_sha256(m), `SHA-256 of ${size} bytes`);
  }
  const key = randomBytes(32);
  for (const [len, id, ctx] of [[32, 1, 'tv-rsd-2'], [32, 2, 'tv-rsd-2'], [64, 7, 'abcdefgh'], [16, 2 ** 31 - 1, 'tv-loc-1']] as const) {
    t.same(s.crypto_kdf_derive_from_key(len, id, ctx, key), wasm.crypto_kdf_derive_from_key(len, id, ctx, key), `subkey ${id} of ${len} bytes, context ${ctx}`);
  }
  t.same(outcome(() => s.crypto_kdf_derive_from_key(32, 1, 'short', key)), outcome(() => wasm.crypto_kdf_derive_from_key(32, 1, 'short', key)), 'a bad context: the same error');
  t.same(outcome(() => s.crypto_kdf_derive_from_key(32, 2 ** 40, 'tv-rsd-2', key)), outcome(() => wasm.crypto_kdf_derive_from_key(32, 2 ** 40, 'tv-rsd-2', key)), 'a subkey id out of range: the same error');
});

t.test('base64url decoding: canonical text only, as before', async (t) => {
  for (let n = 0; n < 70; n++) {
    const b = randomBytes(n);
    const text = b.toString('base64url');
    t.same(fromBase64Url(text), new Uint8Array(b), `${n} bytes`);
    t.equal(toBase64Url(fromBase64Url(text)), text);
  }
  for (const bad of ['A', 'AB=C', 'AB C', 'ñAAA', 'AB+/', 'AB\u{1F600}', 'AR', 'AAB']) t.throws(() => fromBase64Url(bad), RangeError, JSON.stringify(bad));
});

const server = await build(t);
const db = server.db;

for (const [name, engine] of [['native', native], ['WebAssembly', undefined]] as const) {
  t.test(`a listing through the ${name} engine catches the operator`, async (t) => {
    useSodiumEngine(engine);
    t.teardown(() => useSodiumEngine(undefined));
    t.equal(sodiumEngineName(), engine ? native.name : 'libsodium (WebAssembly)');
    const me = handle('lister');
    const { vault } = await Vault.register({ server: server.url, handle: me, passphrase: 'una frase', ...testClient });
    const ids: string[] = [];
    for (const title of ['oldest', 'middle', 'newest']) ids.push((await vault.createRecord({ title, narrative: 'relato' })).id);
    const all = async () => {
      const titles: string[] = [];
      for await (const page of vault.allRecords({ pageSize: 2 })) titles.push(...page.records.map((r) => r.fields.title));
      return titles;
    };
    t.same(await all(), ['newest', 'middle', 'oldest'], 'every record, newest first, over two pages');

    const row = await db.selectFrom('record_versions').select('signature').where('record_id', '=', ids[0]!).executeTakeFirstOrThrow();
    await db.updateTable('record_versions').set({ signature: Buffer.from(flip(row.signature, 3)) }).where('record_id', '=', ids[0]!).execute();
    const seen: string[] = [];
    await t.rejects((async () => {
      for await (const page of vault.allRecords({ pageSize: 2 })) seen.push(...page.records.map((r) => r.fields.title));
    })(), SignatureError, 'a signature changed on the second page');
    t.same(seen, ['newest', 'middle'], 'the first page was shown; nothing of the second');
    await db.updateTable('record_versions').set({ signature: row.signature }).where('record_id', '=', ids[0]!).execute();

    // The listings above opened every sealed key ([Note: opened keys kept for the session]):
    // a changed one is new text and is opened, and refused, again.
    const keys = await db.selectFrom('record_keys').select(['record_id', 'sealed_key']).where('record_id', 'in', [ids[1]!, ids[2]!]).execute();
    const key = (id: string) => keys.find((k) => k.record_id === id)!.sealed_key;
    await db.updateTable('record_keys').set({ sealed_key: Buffer.from(flip(key(ids[2]!), 50)) }).where('record_id', '=', ids[2]!).execute();
    await t.rejects(vault.listRecords(), DecryptionError, 'a sealed key with one byte changed');
    await db.updateTable('record_keys').set({ sealed_key: key(ids[1]!) }).where('record_id', '=', ids[2]!).execute();
    await t.rejects(vault.listRecords(), DecryptionError, "another record's sealed key");
    await db.updateTable('record_keys').set({ sealed_key: key(ids[2]!) }).where('record_id', '=', ids[2]!).execute();

    // [Note: identities verified once]: the owner's identity verified on every page so far;
    // a changed self-signature is new text and is verified again.
    t.equal((await vault.listRecords()).records.length, 3, 'all restored');
    const account = await db.selectFrom('accounts').select('identity_signature').where('handle', '=', me).executeTakeFirstOrThrow();
    await db.updateTable('accounts').set({ identity_signature: Buffer.from(flip(account.identity_signature, 10)) }).where('handle', '=', me).execute();
    await t.rejects(vault.listRecords(), SignatureError, "the owner's identity signature changed after it had verified");
    await db.updateTable('accounts').set({ identity_signature: account.identity_signature }).where('handle', '=', me).execute();
    t.equal((await vault.listRecords()).records.length, 3);
  });
}
