import type { KdfAlgorithm } from '@testimony-vault/protocol';
import { Writable } from 'node:stream';
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { openMasterKey } from '../client-lib/src/account/material.ts';
import { derivePassphraseKeys, deriveRecoveryKeys } from '../client-lib/src/crypto/kdf.ts';
import { unwrapPrivateKeys } from '../client-lib/src/crypto/identity.ts';
import { wordsToRecoveryKey } from '../client-lib/src/crypto/recovery-words.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { build, handle, testClient, TEST_KDF } from './helper.ts';
import { dumpAllTables, findNeedles, type Needle } from './scan.ts';

t.test('no passphrase, key or token is stored or logged in the clear', async (t) => {
  const log: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { log.push(String(chunk)); done(); } });
  const server = await build(t, { LOG_LEVEL: 'trace' }, { stream });
  const passphrase = 'CANARY-passphrase-f00dfeed-1234';
  const h = handle('canary');

  // Capture the session tokens the server hands out, as a network observer on the client side would.
  const tokens: string[] = [];
  const capture: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (String(input).endsWith('/v1/auth/login') && res.ok) tokens.push(((await res.clone().json()) as { token: string }).token);
    return res;
  };
  const { vault, recoveryKey } = await Vault.register({ server: server.url, handle: h, passphrase, fetch: capture, ...testClient });
  const invite = await vault.createInvite();
  await vault.changePassphrase(passphrase, `${passphrase}-2`, TEST_KDF);
  const again = await Vault.login({ server: server.url, handle: h, passphrase: `${passphrase}-2`, fetch: capture, ...testClient });
  const { id: recordId } = await again.createRecord({ title: 'a testimony', narrative: 'x' });
  await again.getRecord(recordId);
  await again.recordVersions(recordId);

  // Re-derive every secret the way the client does, to know what to look for.
  const s = await sodiumReady();
  const row = await server.db.selectFrom('accounts').selectAll().where('handle', '=', h).executeTakeFirstOrThrow();
  const kdf = { algorithm: row.kdf_algorithm as KdfAlgorithm, salt: row.kdf_salt, opsLimit: row.kdf_ops_limit, memLimit: row.kdf_mem_limit };
  const keys = derivePassphraseKeys(s, `${passphrase}-2`, kdf, TEST_KDF, h);
  const masterKey = openMasterKey(s, keys.keyEncryptionKey, h, row.wrapped_master_key);
  const identity = { handle: h, signPublicKey: row.sign_public_key, boxPublicKey: row.box_public_key, signature: row.identity_signature };
  const priv = unwrapPrivateKeys(s, masterKey, identity, row.wrapped_private_keys);
  const recovery = wordsToRecoveryKey(recoveryKey);
  const recoveryKeys = deriveRecoveryKeys(s, recovery);

  const needles: Needle[] = [
    { name: 'passphrase', value: passphrase },
    { name: 'login key', value: keys.loginKey },
    { name: 'key-encryption key', value: keys.keyEncryptionKey },
    { name: 'master key', value: masterKey },
    { name: 'signing secret key', value: priv.signSecretKey.subarray(0, 32) },
    { name: 'box secret key', value: priv.boxSecretKey },
    { name: 'recovery key', value: recovery },
    { name: 'recovery words', value: recoveryKey.split(' ').slice(0, 3).join(' ') },
    { name: 'recovery key-encryption key', value: recoveryKeys.keyEncryptionKey },
    { name: 'recovery auth key', value: recoveryKeys.authKey },
    { name: 'invite code', value: invite.code },
    ...tokens.map((tok, i) => ({ name: `session token ${i}`, value: tok })),
  ];
  t.equal(tokens.length, 2, 'two sessions were opened');

  const dump = await dumpAllTables(server.db);
  t.ok(dump.includes(row.sign_public_key.toString('hex')), 'the scan sees stored bytes (public key found)');
  t.same(findNeedles(dump, needles), [], 'nothing secret in any table');
  t.ok(log.length > 10, 'the server logged requests');
  t.same(findNeedles(log.join('\n'), needles), [], 'nothing secret in the log');
  const requestLines = log.filter((l) => l.includes('"reqId"'));
  t.ok(requestLines.length > 5, 'requests were logged');
  t.same(requestLines.filter((l) => /remoteAddress|remotePort|"host"|user-agent/.test(l)), [], 'no client address or headers in request logs');
  t.comment(requestLines[0] ?? '');
  t.ok(requestLines.some((l) => l.includes('/v1/records/:id')), 'requests are logged by route pattern');
  t.same(log.filter((l) => l.includes(recordId)), [], 'no record id in the log: it would date each read of a testimony');
});
