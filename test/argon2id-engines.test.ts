import { randomBytes } from 'node:crypto';
import t from 'tap';
import { KDF_ALGORITHM_V2, KDF_FLOOR, SALT_BYTES } from '@testimony-vault/protocol';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { argon2idEngineName, derivePassphraseKeys, useArgon2idEngine, type KdfLimits, type KdfParams } from '../client-lib/src/crypto/kdf.ts';
import { loadNativeArgon2id } from '../client-lib/src/node/native-argon2id.ts';

// [Note: Argon2id engines]: native libsodium and the WebAssembly build must derive the same
// keys from the same passphrase, salt and cost, or an account made with one client would not
// open with the other.

const s = await sodiumReady();
const native = loadNativeArgon2id();
// sodium-native ships prebuilt binaries for linux-x64, the platform of the project's machines
// and CI. Where it is not, the Node entry point must fall back to WebAssembly.
t.ok(native ?? process.platform !== 'linux', 'native Argon2id loads on linux');

function derive(engine: typeof native, passphrase: string, params: KdfParams, handle: string) {
  useArgon2idEngine(engine);
  try {
    const k = derivePassphraseKeys(s, passphrase, params, KDF_FLOOR, handle);
    return { kek: Buffer.from(k.keyEncryptionKey).toString('hex'), login: Buffer.from(k.loginKey).toString('hex') };
  } finally {
    useArgon2idEngine(undefined);
  }
}

const params = (cost: KdfLimits = KDF_FLOOR): KdfParams => ({ algorithm: KDF_ALGORITHM_V2, salt: randomBytes(SALT_BYTES), ...cost });

if (native) {
  t.test('native and WebAssembly derive the same keys', async (t) => {
    const cases: [string, string, KdfParams][] = [
      ['ASCII', 'correct horse battery staple', params()],
      ['Spanish, accents and ñ', 'el ñandú cruzó el río en diciembre', params()],
      ['higher cost than the floor', 'otra frase de paso larga', params({ opsLimit: 4, memLimit: 288 * 1024 * 1024 })],
    ];
    for (const [what, passphrase, p] of cases) {
      t.same(derive(native, passphrase, p, 'casa-del-migrante'), derive(undefined, passphrase, p, 'casa-del-migrante'), what);
    }
  });

  t.test('the comparison can tell keys apart', async (t) => {
    const p = params();
    const a = derive(native, 'una frase de paso', p, 'abogada');
    t.not(a.kek, derive(undefined, 'una frase de paso', p, 'otra-abogada').kek, 'another handle, another key');
    t.not(a.kek, derive(undefined, 'una frase de paso.', p, 'abogada').kek, 'one more character, another key');
    t.not(a.kek, a.login, 'the two subkeys differ');
  });

  t.test('composed and decomposed accents give one key on both engines (NFKC)', async (t) => {
    const p = params();
    const composed = 'contraseña del refugio';
    const decomposed = composed.normalize('NFD');
    t.not(composed, decomposed);
    t.same(derive(native, decomposed, p, 'refugio'), derive(undefined, composed, p, 'refugio'));
  });
}

t.test('the Node entry point keeps WebAssembly: native was measured slower here', async (t) => {
  await import('../client-lib/src/node/index.ts');
  t.equal(argon2idEngineName(), 'libsodium (WebAssembly)');
});
