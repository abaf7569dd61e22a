import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { IntegrityError, SignatureError, Vault, VaultError, WithheldError } from '@testimony-vault/client';
import type { Unlocked } from '../client-lib/src/account/session.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { decryptBody, encryptBody } from '../client-lib/src/records/body.ts';
import { openRecordKeys } from '../client-lib/src/records/record-key.ts';
import { decodeAttachments } from '../client-lib/src/records/withholding.ts';
import type { WireAttachment } from '../client-lib/src/records/types.ts';
import { build } from './helper.ts';
import { people, readFile } from './redacted-people.ts';

// Redacted copies, per file (docs/PROTOCOL.md "Redacted copies", [Note: originals shared on
// purpose]): the owner lets redacted readers open one photo's original; the others stay
// withheld, and nobody but the owner can add the mark.

const server = await build(t);
const db = server.db;
const s = await sodiumReady();
const jpeg = readFileSync(path.resolve(import.meta.dirname, 'fixtures/photos/camera-gps.jpg'));
// A second, different photo with the same GPS data (a byte appended after the end).
const jpeg2 = Buffer.concat([jpeg, Buffer.from([0])]);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const unlocked = (v: Vault) => (v as unknown as { me: Unlocked }).me;

const person = people(server);
const read = readFile;

/** A record with two GPS photos and a document, shared redacted with a lawyer and in full with a partner. */
async function sharedCase() {
  const owner = await person('coord');
  const lawyer = await person('lawyer');
  const partner = await person('partner');
  const { id } = await owner.vault.createRecord({ title: 'Testimonio de R.', narrative: 'cruzó de noche' });
  const first = await owner.vault.attachFile(id, jpeg, { name: 'IMG_1.jpg', type: 'image/jpeg' });
  const second = await owner.vault.attachFile(id, jpeg2, { name: 'IMG_2.jpg', type: 'image/jpeg' });
  const doc = await owner.vault.attachFile(id, Buffer.from('acta'), { name: 'acta.txt', type: 'text/plain' });
  await owner.vault.share(id, lawyer.handle, { redactPhotos: true });
  await owner.vault.share(id, partner.handle);
  return { owner, lawyer, partner, id, first: first.fileId, second: second.fileId, doc: doc.fileId };
}

t.test('the owner shares one original; the other stays withheld', async (t) => {
  const x = await sharedCase();
  await t.rejects(x.lawyer.vault.openFile(x.id, x.first), WithheldError, 'before the mark the original is withheld');
  const marked = await x.owner.vault.shareOriginal(x.id, x.first);
  t.equal(marked.unchanged, false, 'a new version was written');
  t.equal((await x.owner.vault.shareOriginal(x.id, x.first)).unchanged, true, 'marking twice writes nothing');

  const seen = await x.lawyer.vault.getRecord(x.id);
  t.equal(seen.access, 'redacted');
  const shared = seen.attachments.find((a) => a.fileId === x.first);
  t.equal(shared?.shareOriginal, true, "the lawyer's view says this original was shared on purpose");
  t.equal(sha256(await read(x.lawyer.vault, x.id, x.first)), sha256(jpeg), 'the lawyer opens the marked original byte-identical');
  t.same(seen.withheldOriginals.map((w) => w.fileId), [x.second], 'only the other original is withheld');
  await t.rejects(x.lawyer.vault.openFile(x.id, x.second), WithheldError, 'the other original stays withheld');
  const copy = seen.attachments.find((a) => a.redactionOf?.fileId === x.second);
  t.ok(copy, 'the lawyer still has the copy of the other photo');
  t.not(sha256(await read(x.lawyer.vault, x.id, copy!.fileId)), sha256(jpeg2), 'and the copy is not the original');
  t.notOk(seen.attachments.find((a) => a.fileId === x.second), 'the other original is not among what it can open');

  // A photo attached afterwards, and a rotation: the mark stays, the others stay withheld.
  await x.owner.vault.revoke(x.id, x.partner.handle);
  const after = await x.lawyer.vault.getRecord(x.id);
  t.ok(after.keyVersion > seen.keyVersion, 'the key was rotated');
  t.equal(sha256(await read(x.lawyer.vault, x.id, x.first)), sha256(jpeg), 'after a rotation the marked original still opens');
  await t.rejects(x.lawyer.vault.openFile(x.id, x.second), WithheldError, 'and the other is still withheld');
  t.equal(sha256(await read(x.owner.vault, x.id, x.first)), sha256(jpeg), "the owner's original is untouched");
});

t.test('only the owner marks, and only a photo or video original', async (t) => {
  const x = await sharedCase();
  const before = (await x.owner.vault.getRecord(x.id)).version;
  await t.rejects(x.lawyer.vault.shareOriginal(x.id, x.first), VaultError, 'a redacted grantee cannot mark');
  await t.rejects(x.partner.vault.shareOriginal(x.id, x.first), VaultError, 'a full grantee cannot mark');
  await t.rejects(x.owner.vault.shareOriginal(x.id, x.doc), /not a photo or video original/, 'a document is not a photo original');
  const copy = (await x.owner.vault.getRecord(x.id)).attachments.find((a) => a.redactionOf?.fileId === x.first)!;
  await t.rejects(x.owner.vault.shareOriginal(x.id, copy.fileId), /a redacted copy/, 'a redacted copy is refused');
  await t.rejects(x.owner.vault.shareOriginal(x.id, '00000000-0000-4000-8000-000000000000'), { code: 'VAULT_ERR_NOT_FOUND' });
  t.equal((await x.owner.vault.getRecord(x.id)).version, before, 'no version was written');
  await t.rejects(x.lawyer.vault.openFile(x.id, x.first), WithheldError, 'the original is still withheld');
});

t.test('a mark added in the database does not pass the signature', async (t) => {
  // The attacker: the server with a full grantee's help (who knows the record key and the
  // original's file key) rewrites the latest body so the original is marked and its key open.
  const x = await sharedCase();
  const rows = await db.selectFrom('record_versions').select(['version', 'key_version', 'body']).where('record_id', '=', x.id).orderBy('version', 'desc').limit(1).execute();
  const latest = rows[0]!;
  const key = await db.selectFrom('record_keys').select('sealed_key').where('record_id', '=', x.id).where('key_version', '=', latest.key_version).where('recipient_id', '=', x.partner.id).executeTakeFirstOrThrow();
  const me = unlocked(x.partner.vault);
  const keys = openRecordKeys(s, key.sealed_key, x.id, latest.key_version, me.identity.boxPublicKey, me.privateKeys.boxSecretKey);
  const body = decryptBody(s, keys.recordKey, x.id, latest.version, latest.key_version, latest.body);
  const full = await x.partner.vault.getRecord(x.id);
  const fileKey = full.attachments.find((a) => a.fileId === x.first)!.key;
  const forged = {
    ...body,
    attachments: body.attachments.map((a) => {
      if (a.fileId !== x.first) return a;
      const { withheldKey: _, ...rest } = a as WireAttachment & { withheldKey: string };
      return { ...rest, key: fileKey, shareOriginal: true };
    }),
  };
  const reencrypted = encryptBody(s, keys.recordKey, x.id, latest.version, latest.key_version, forged as typeof body);
  t.ok(decryptBody(s, keys.recordKey, x.id, latest.version, latest.key_version, reencrypted), 'the forged body decrypts under the record key');
  await db.updateTable('record_versions').set({ body: Buffer.from(reencrypted) }).where('record_id', '=', x.id).where('version', '=', latest.version).execute();
  await t.rejects(x.lawyer.vault.getRecord(x.id), SignatureError, "the lawyer's client refuses the unsigned mark");
  await t.rejects(x.lawyer.vault.openFile(x.id, x.first), SignatureError, 'and opens nothing by it');
});

t.test('a reader refuses a mark no owner writes', async (t) => {
  const x = await sharedCase();
  const seen = await x.owner.vault.getRecord(x.id);
  const photo = seen.attachments.find((a) => a.fileId === x.first)!;
  const doc = seen.attachments.find((a) => a.fileId === x.doc)!;
  const copy = seen.attachments.find((a) => a.redactionOf?.fileId === x.first)!;
  const keys = { kind: 'key-only', recordKey: new Uint8Array(32) } as unknown as Parameters<typeof decodeAttachments>[2];
  const { key, withheld: _, ...bare } = photo;
  const cases: [string, unknown][] = [
    ['a mark that is not true', { ...bare, key, shareOriginal: 'yes' }],
    ['a mark on a document', { ...doc, shareOriginal: true }],
    ['a mark on a redacted copy', { ...photo, ...copy, shareOriginal: true }],
    ['a mark with a wrapped key', { ...bare, withheldKey: 'AA', shareOriginal: true }],
  ];
  for (const [what, entry] of cases) {
    t.throws(() => decodeAttachments(s, [photo, entry as WireAttachment], keys, x.id, 1), IntegrityError, what);
  }
  t.doesNotThrow(() => decodeAttachments(s, [{ ...bare, key, shareOriginal: true }], keys, x.id, 1), 'a mark on an open photo original is read');
});
