import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { IntegrityError, type Vault } from '@testimony-vault/client';
import { concat, u32be, utf8, uuidBytes, LABEL } from '@testimony-vault/protocol';
import type { Unlocked } from '../client-lib/src/account/session.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { decryptBody } from '../client-lib/src/records/body.ts';
import { openRecordKeys } from '../client-lib/src/records/record-key.ts';
import { build } from './helper.ts';
import { people } from './redacted-people.ts';

// [Note: the body names its key kind]: a redacted grantee knows its key version's record
// key and can seal it, under any label, to the owner (a sealed box is anonymous). With the
// database in its hands, it swaps the owner's sealed key for one that says "the record key
// only" or "version 1". The owner's client must refuse to read or write the record, never
// write a photo's key open, never seal the grantee the seed at the next rotation.
// Found by the attacker review of the redacted copies; both tests leak on 2f1576c3.

const server = await build(t);
const db = server.db;
const s = await sodiumReady();
const jpeg = readFileSync(path.resolve(import.meta.dirname, 'fixtures/photos/camera-gps.jpg'));
const unlocked = (v: Vault) => (v as unknown as { me: Unlocked }).me;

const person = people(server);

const forgedLabels = [
  ['record key only', LABEL.recordKeyOnlySeal],
  ['version 1', LABEL.recordKeySeal],
] as const;

/** A record with a photo shared redacted (and fully with a partner); the owner's sealed key forged by the lawyer. */
async function downgraded(label: string) {
  const owner = await person('coord');
  const lawyer = await person('lawyer');
  const partner = await person('partner');
  const { id } = await owner.vault.createRecord({ title: 'Testimonio', narrative: 'n' });
  await owner.vault.attachFile(id, jpeg, { name: 'IMG_1.jpg', type: 'image/jpeg' });
  await owner.vault.share(id, lawyer.handle, { redactPhotos: true });
  await owner.vault.share(id, partner.handle);
  const me = unlocked(lawyer.vault);
  const rows = await db.selectFrom('record_keys').select(['key_version', 'recipient_id', 'sealed_key']).where('record_id', '=', id).execute();
  const kv = Math.max(...rows.map((r) => r.key_version));
  const mine = rows.find((r) => r.recipient_id === lawyer.id && r.key_version === kv)!;
  const k = openRecordKeys(s, mine.sealed_key, id, kv, me.identity.boxPublicKey, me.privateKeys.boxSecretKey);
  const forged = s.crypto_box_seal(concat(utf8(label), uuidBytes(id), u32be(kv), k.recordKey), unlocked(owner.vault).identity.boxPublicKey);
  await db.updateTable('record_keys').set({ sealed_key: Buffer.from(forged) }).where('record_id', '=', id).where('key_version', '=', kv).where('recipient_id', '=', owner.id).execute();
  const versions = async () => db.selectFrom('record_versions').select(['version', 'key_version', 'body']).where('record_id', '=', id).orderBy('version').execute();
  return { owner, lawyer, partner, id, kv, recordKey: k.recordKey, me, versions };
}

t.test('the owner refuses its own record when the sealed key is downgraded', async (t) => {
  for (const [what, label] of forgedLabels) {
    const x = await downgraded(label);
    const before = (await x.versions()).length;
    await t.rejects(x.owner.vault.getRecord(x.id), IntegrityError, `${what}: reading is refused as tampering`);
    await t.rejects(x.owner.vault.attachFile(x.id, jpeg, { name: 'IMG_2.jpg', type: 'image/jpeg' }), IntegrityError, `${what}: attaching a photo is refused`);
    const after = await x.versions();
    t.equal(after.length, before, `${what}: no version was written`);
    for (const v of after) {
      if (v.key_version !== x.kv) continue;
      const body = decryptBody(s, x.recordKey, x.id, v.version, v.key_version, v.body);
      const open = body.attachments.filter((a) => !('redactionOf' in a && a.redactionOf) && 'key' in a && a.name.startsWith('IMG_'));
      t.same(open.map((a) => a.name), [], `${what}: v${v.version} holds no photo original's key open to the lawyer`);
    }
  }
});

t.test('a revocation after the downgrade does not seal the lawyer the seed', async (t) => {
  for (const [what, label] of forgedLabels) {
    const x = await downgraded(label);
    await t.rejects(x.owner.vault.revoke(x.id, x.partner.handle), IntegrityError, `${what}: the revocation stops at the tampered key`);
    const sealed = await db.selectFrom('record_keys').select(['key_version', 'sealed_key']).where('record_id', '=', x.id).where('recipient_id', '=', x.lawyer.id).execute();
    for (const row of sealed) {
      let kind = 'unopenable';
      try {
        kind = openRecordKeys(s, row.sealed_key, x.id, row.key_version, x.me.identity.boxPublicKey, x.me.privateKeys.boxSecretKey).kind;
      } catch {
        /* absent or refused */
      }
      t.not(kind, 'seed', `${what}: key version ${row.key_version} gives the lawyer no seed`);
    }
  }
});

t.test('without tampering the owner reads and writes as before (the check can pass)', async (t) => {
  const owner = await person('coord');
  const lawyer = await person('lawyer');
  const { id } = await owner.vault.createRecord({ title: 'Testimonio', narrative: 'n' });
  await owner.vault.attachFile(id, jpeg, { name: 'IMG_1.jpg', type: 'image/jpeg' });
  await owner.vault.share(id, lawyer.handle, { redactPhotos: true });
  await owner.vault.attachFile(id, jpeg, { name: 'IMG_2.jpg', type: 'image/jpeg' });
  const mine = await owner.vault.getRecord(id);
  t.equal(mine.access, 'full');
  const theirs = await lawyer.vault.getRecord(id);
  t.equal(theirs.access, 'redacted');
  t.ok(theirs.withheldOriginals.some((o) => o.name === 'IMG_2.jpg'), 'the new photo is kept from the lawyer');
});

// The attacker review's second finding: withholding went by the declared type alone, and a
// browser gives "" or application/octet-stream for some pictures (a .heic on Windows, an
// unknown extension). A photo so declared went to the redacted lawyer whole, GPS and all.
t.test('a photo or video withheld whatever type it was declared with', async (t) => {
  const owner = await person('coord');
  const lawyer = await person('lawyer');
  const { id } = await owner.vault.createRecord({ title: 'Testimonio', narrative: 'n' });
  const dodges = [
    { name: 'foto.bin', type: 'application/octet-stream' },
    { name: 'IMG_0042.heic', type: '' },
    { name: 'IMG_0043.JPG', type: 'application/x-unknown' },
    { name: 'clip.mp4', type: 'video/mp4' },
  ];
  for (const d of dodges) await owner.vault.attachFile(id, jpeg, d);
  await owner.vault.attachFile(id, Buffer.from('acta de la audiencia'), { name: 'acta.txt', type: 'text/plain' });
  const shared = await owner.vault.share(id, lawyer.handle, { redactPhotos: true });
  const theirs = await lawyer.vault.getRecord(id);
  t.same(theirs.withheldOriginals.map((o) => o.name).sort(), dodges.map((d) => d.name).sort(), 'every one is kept from the lawyer');
  t.same(theirs.attachments.map((a) => a.name), ['acta.txt'], 'only the document reaches the lawyer');
  t.same((shared.redaction?.notCovered ?? []).map((n) => n.name).sort(), dodges.map((d) => d.name).sort(), 'and each is reported as having no copy');
});
