import t from 'tap';
import { Vault, WeakKdfError, WrongPassphraseError } from '@testimony-vault/client';
import { KDF_ALGORITHM, KDF_ALGORITHM_V2, LABEL, toBase64Url as b64, type KdfAlgorithm } from '@testimony-vault/protocol';
import { masterKeyAad, openMasterKey } from '../client-lib/src/account/material.ts';
import { seal } from '../client-lib/src/crypto/aead.ts';
import { derivePassphraseKeys, type KdfParams } from '../client-lib/src/crypto/kdf.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { build, handle, recordingFetch, TEST_KDF, testClient } from './helper.ts';

// A hostile server hands every login the same salt, so that one precomputed table would
// cover every account. KDF version 2 binds the handle into the Argon2id salt on the client
// (docs/PROTOCOL.md, "Passphrase to keys"); accounts of version 1 still log in and move to
// version 2 at their next passphrase change.

const server = await build(t);
const s = await sodiumReady();
const pass = 'the same passphrase for both';

/** The login key a client sends when the server answers pre-login as it does now. */
async function sentLoginKey(h: string, options: { minKdfVersion?: 1 | 2 } = {}): Promise<string | undefined> {
  const rec = recordingFetch();
  await Vault.login({ server: server.url, handle: h, passphrase: pass, fetch: rec.fetch, ...testClient, ...options }).catch(() => undefined);
  const login = rec.calls.find((c) => c.path === '/v1/auth/login');
  return login ? (JSON.parse(login.body) as { loginKey: string }).loginKey : undefined;
}

async function row(h: string) {
  return server.db.selectFrom('accounts').selectAll().where('handle', '=', h).executeTakeFirstOrThrow();
}

t.test('one salt handed to two accounts does not give them one KDF input', async (t) => {
  const a = handle('ana');
  const b = handle('beto');
  for (const h of [a, b]) await (await Vault.register({ server: server.url, handle: h, passphrase: pass, ...testClient })).vault.logout();
  t.equal((await row(a)).kdf_algorithm, KDF_ALGORITHM_V2, 'new accounts use version 2');

  const common = Buffer.alloc(16, 7);
  await server.db.updateTable('accounts').set({ kdf_salt: common }).where('handle', 'in', [a, b]).execute();
  const [ka, kb] = [await sentLoginKey(a), await sentLoginKey(b)];
  t.ok(ka && kb, 'both clients sent a login key');
  t.not(ka, kb, 'same passphrase, same salt from the server: different login keys, so different Argon2id inputs');

  // What version 1 did, for contrast: the server's salt was the whole input.
  await server.db.updateTable('accounts').set({ kdf_algorithm: KDF_ALGORITHM }).where('handle', 'in', [a, b]).execute();
  t.equal(await sentLoginKey(a), await sentLoginKey(b), 'version 1 with a common salt: one table would cover both');
  t.equal(await sentLoginKey(a, { minKdfVersion: 2 }), undefined, 'a client that knows the account uses version 2 sends nothing');
  await t.rejects(Vault.login({ server: server.url, handle: a, passphrase: pass, ...testClient, minKdfVersion: 2 }), WeakKdfError);
});

t.test('an account of version 1 logs in, and moves to version 2 at its next passphrase change', async (t) => {
  const h = handle('vieja');
  await (await Vault.register({ server: server.url, handle: h, passphrase: pass, ...testClient })).vault.logout();
  // Turn it into what a client of version 1 wrote: the stored salt used as it is.
  const r = await row(h);
  const v2: KdfParams = { algorithm: r.kdf_algorithm as KdfAlgorithm, salt: r.kdf_salt, opsLimit: r.kdf_ops_limit, memLimit: r.kdf_mem_limit };
  const current = derivePassphraseKeys(s, pass, v2, TEST_KDF, h);
  const masterKey = openMasterKey(s, current.keyEncryptionKey, h, r.wrapped_master_key);
  const v1: KdfParams = { algorithm: KDF_ALGORITHM, salt: s.randombytes_buf(16), ...TEST_KDF };
  const old = derivePassphraseKeys(s, pass, v1, TEST_KDF, h);
  const login = await fetch(`${server.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: h, loginKey: b64(current.loginKey) }) });
  const { token } = (await login.json()) as { token: string };
  const changed = await fetch(`${server.url}/v1/account/passphrase`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      currentLoginKey: b64(current.loginKey),
      kdf: { algorithm: KDF_ALGORITHM, salt: b64(v1.salt), opsLimit: v1.opsLimit, memLimit: v1.memLimit },
      loginKey: b64(old.loginKey),
      wrappedMasterKey: b64(seal(s, old.keyEncryptionKey, masterKey, masterKeyAad(LABEL.masterKeyWrapPassphrase, h))),
    }),
  });
  t.equal(changed.status, 204, await changed.text());
  t.equal((await row(h)).kdf_algorithm, KDF_ALGORITHM);

  const vault = await Vault.login({ server: server.url, handle: h, passphrase: pass, ...testClient });
  t.equal(vault.kdfVersion, 1, 'the old account still logs in');
  const { id } = await vault.createRecord({ title: 'antes', narrative: 'x' });
  await vault.changePassphrase(pass, 'a new passphrase', TEST_KDF);
  t.equal(vault.kdfVersion, 2);
  t.equal((await row(h)).kdf_algorithm, KDF_ALGORITHM_V2, 'stored as version 2');
  await vault.logout();

  await t.rejects(Vault.login({ server: server.url, handle: h, passphrase: pass, ...testClient }), WrongPassphraseError);
  const again = await Vault.login({ server: server.url, handle: h, passphrase: 'a new passphrase', ...testClient, minKdfVersion: 2 });
  t.equal((await again.getRecord(id)).fields.title, 'antes', 'same master key, same records');
  await again.logout();
});
