import type { KdfAlgorithm } from '@testimony-vault/protocol';
import type { Kysely } from 'kysely';
import { openMasterKey } from '../../../client-lib/src/account/material.ts';
import { unwrapPrivateKeys } from '../../../client-lib/src/crypto/identity.ts';
import { derivePassphraseKeys, deriveRecoveryKeys } from '../../../client-lib/src/crypto/kdf.ts';
import { wordsToRecoveryKey } from '../../../client-lib/src/crypto/recovery-words.ts';
import { sodiumReady } from '../../../client-lib/src/crypto/sodium.ts';
import type { Database } from '../../../server/src/db/schema.ts';
import { dumpAllTables, findNeedles, type Needle } from '../../../test/scan.ts';
import { FUZZ_KDF, type Seeded } from './fixture.ts';

// Secrets at rest after the run: every secret of every seeded account (re-derived the way
// the client derives them, from the passphrase and the stored salt), every session token
// the run used, the recovery keys, and the plaintext seeded (narrative canaries, file bytes,
// file names), searched in every table and in the server's whole log, in every encoding
// the code base uses (test/scan.ts).

export async function needlesOf(db: Kysely<Database>, seeded: Seeded): Promise<Needle[]> {
  const s = await sodiumReady();
  const needles: Needle[] = [...seeded.plaintext];
  for (const [n, a] of seeded.accounts.entries()) {
    const row = await db.selectFrom('accounts').selectAll().where('handle', '=', a.handle).executeTakeFirstOrThrow();
    const kdf = { algorithm: row.kdf_algorithm as KdfAlgorithm, salt: row.kdf_salt, opsLimit: row.kdf_ops_limit, memLimit: row.kdf_mem_limit };
    const keys = derivePassphraseKeys(s, a.passphrase, kdf, FUZZ_KDF, a.handle);
    const masterKey = openMasterKey(s, keys.keyEncryptionKey, a.handle, row.wrapped_master_key);
    const identity = { handle: a.handle, signPublicKey: row.sign_public_key, boxPublicKey: row.box_public_key, signature: row.identity_signature };
    const priv = unwrapPrivateKeys(s, masterKey, identity, row.wrapped_private_keys);
    const recovery = wordsToRecoveryKey(a.recoveryKey);
    const recoveryKeys = deriveRecoveryKeys(s, recovery);
    needles.push(
      { name: `account ${n} passphrase`, value: a.passphrase },
      { name: `account ${n} login key`, value: keys.loginKey },
      { name: `account ${n} key-encryption key`, value: keys.keyEncryptionKey },
      { name: `account ${n} master key`, value: masterKey },
      { name: `account ${n} signing secret key`, value: priv.signSecretKey.subarray(0, 32) },
      { name: `account ${n} box secret key`, value: priv.boxSecretKey },
      { name: `account ${n} recovery key`, value: recovery },
      { name: `account ${n} recovery words`, value: a.recoveryKey.split(' ').slice(0, 3).join(' ') },
      { name: `account ${n} recovery auth key`, value: recoveryKeys.authKey },
    );
  }
  for (const [n, a] of seeded.target.accounts.entries()) needles.push({ name: `account ${n} session token`, value: a.token });
  return needles;
}

/** The names of the needles found in the database or the log; empty when none is. */
export async function secretsFound(db: Kysely<Database>, log: string, needles: Needle[]): Promise<{ tables: string[]; log: string[]; dumpBytes: number }> {
  const dump = await dumpAllTables(db);
  // The scan must be able to see: a stored public key is in the dump, as hex.
  const row = await db.selectFrom('accounts').select('sign_public_key').executeTakeFirstOrThrow();
  if (!dump.includes(row.sign_public_key.toString('hex'))) throw new Error('the table dump does not show stored bytes: the scan would see nothing');
  return { tables: findNeedles(dump, needles), log: findNeedles(log, needles), dumpBytes: dump.length };
}
