import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import exifr from 'exifr';
import {
  DecryptionError, IntegrityError, MemoryStateStore, SignatureError, Vault, WithheldError, redactPhoto, type Attachment,
} from '@testimony-vault/client';
import { recordVersionStatement, toBase64Url as b64 } from '@testimony-vault/protocol';
import type { Unlocked } from '../client-lib/src/account/session.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { decryptBody, encryptBody } from '../client-lib/src/records/body.ts';
import { openRecordKeys, sealRecordKey } from '../client-lib/src/records/record-key.ts';
import { decodeAttachments } from '../client-lib/src/records/withholding.ts';
import { uuidV4 } from '../client-lib/src/records/client.ts';
import { build, capturingFetch, handle, testClient } from './helper.ts';
import { readFile } from './redacted-people.ts';
import { dumpAllTables, findNeedles } from './scan.ts';

// Redacted sharing (docs/PROTOCOL.md "Redacted copies"), from both sides: a redacted grantee
// gets the photos' redacted copies and can never obtain an original's file key, whatever
// the server hands it; the owner's originals stay byte-identical to what was attached.

const server = await build(t);
const db = server.db;
const s = await sodiumReady();
const photos = path.resolve(import.meta.dirname, 'fixtures/photos');
const jpeg = readFileSync(path.join(photos, 'camera-gps.jpg'));
const png = readFileSync(path.join(photos, 'camera-gps.png'));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Person { vault: Vault; handle: string; id: string; token: string }

async function person(prefix: string): Promise<Person> {
  const h = handle(prefix);
  const capture = capturingFetch();
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', fetch: capture.fetch, state: new MemoryStateStore(), ...testClient });
  const row = await db.selectFrom('accounts').select('id').where('handle', '=', h).executeTakeFirstOrThrow();
  return { vault, handle: h, id: row.id, token: capture.tokens[0]! };
}

const unlocked = (v: Vault) => (v as unknown as { me: Unlocked }).me;

const read = readFile;

/** A record with two photos carrying GPS and a document, shared redacted with one lawyer and in full with another. */
async function sharedCase() {
  const owner = await person('coord');
  const redacted = await person('lawyer');
  const full = await person('partner');
  const { id } = await owner.vault.createRecord({ title: 'testimony of R.', narrative: 'crossed at night' });
  const j = await owner.vault.attachFile(id, jpeg, { name: 'IMG_0042.jpg', type: 'image/jpeg' });
  const p = await owner.vault.attachFile(id, png, { name: 'screen.png', type: 'image/png' });
  const doc = await owner.vault.attachFile(id, Buffer.from('statement, page 1'), { name: 'statement.txt', type: 'text/plain' });
  const grant = await owner.vault.share(id, redacted.handle, { redactPhotos: true });
  await owner.vault.share(id, full.handle);
  return { owner, redacted, full, id, jpegId: j.fileId, pngId: p.fileId, docId: doc.fileId, grant };
}

t.test('the redacted grantee reads the copies without GPS; the originals stay the owner\'s, byte-identical', async (t) => {
  const { owner, redacted, full, id, jpegId, pngId, docId, grant } = await sharedCase();
  t.equal(grant.access, 'redacted');
  t.same(grant.redaction?.made.map((m) => [m.original, m.name]), [[jpegId, 'IMG_0042.redacted.jpg'], [pngId, 'screen.redacted.png']], 'a copy of each photo was made');

  const seen = await redacted.vault.getRecord(id);
  t.equal(seen.access, 'redacted');
  t.same(seen.withheldOriginals.map((w) => [w.fileId, w.name, w.sha256]), [[jpegId, 'IMG_0042.jpg', sha256(jpeg)], [pngId, 'screen.png', sha256(png)]], 'it knows the originals exist, by name and SHA-256');
  const copy = seen.attachments.find((a) => a.redactionOf?.fileId === jpegId)!;
  t.same({ ...copy.redactionOf, removed: copy.redactionOf?.removed.sort() }, { fileId: jpegId, sha256: sha256(jpeg), removed: ['EXIF', 'ICC profile', 'IPTC', 'XMP', 'comment'] }, 'the copy names its original in the signed body');
  t.same(seen.attachments.map((a) => a.name).sort(), ['IMG_0042.redacted.jpg', 'screen.redacted.png', 'statement.txt']);

  const copyBytes = await read(redacted.vault, id, copy.fileId);
  t.equal(await exifr.gps(copyBytes), undefined, 'the independent reader finds no GPS in the lawyer\'s copy');
  t.ok(copyBytes.equals(Buffer.from(redactPhoto(jpeg).bytes)), 'the copy is the redacted photo');
  const pngCopy = seen.attachments.find((a) => a.redactionOf?.fileId === pngId)!;
  t.equal(await exifr.gps(await read(redacted.vault, id, pngCopy.fileId)), undefined, 'nor in the PNG copy');
  t.equal((await read(redacted.vault, id, docId)).toString(), 'statement, page 1', 'other files are shared as they are');
  await t.rejects(redacted.vault.openFile(id, jpegId), WithheldError, 'the original is refused by its own client');

  t.equal(sha256(await read(owner.vault, id, jpegId)), sha256(jpeg), "the owner's original is byte-identical to what was attached");
  t.equal(sha256(await read(full.vault, id, pngId)), sha256(png), 'a full grantee opens the originals');
  t.equal((await full.vault.getRecord(id)).access, 'full');
  t.same((await owner.vault.grants(id)).map((g) => [g.handle, g.access]).sort(), [[full.handle, 'full'], [redacted.handle, 'redacted']].sort());
});

t.test("everything the server holds, even another reader's sealed keys, gives the redacted grantee no original's key", async (t) => {
  const { owner, redacted, full, id, jpegId, pngId } = await sharedCase();
  const originals = (await owner.vault.getRecord(id)).attachments.filter((a) => a.fileId === jpegId || a.fileId === pngId);
  const needles = originals.map((a) => ({ name: `file key of ${a.name}`, value: Buffer.from(a.key, 'base64url') }));
  t.same(findNeedles(await dumpAllTables(db), needles), [], 'no original file key in any table, in any encoding');

  // As the redacted grantee with a copy of the database: open every sealed key with its own private key.
  const me = unlocked(redacted.vault);
  const rows = await db.selectFrom('record_keys').select(['key_version', 'recipient_id', 'sealed_key']).where('record_id', '=', id).execute();
  const recordKeys: { keyVersion: number; key: Uint8Array }[] = [];
  for (const r of rows) {
    try {
      const k = openRecordKeys(s, r.sealed_key, id, r.key_version, me.identity.boxPublicKey, me.privateKeys.boxSecretKey);
      t.equal(k.kind, 'key-only', `its own key version ${r.key_version} gives the record key only`);
      recordKeys.push({ keyVersion: r.key_version, key: k.recordKey });
    } catch (err) {
      t.ok(r.recipient_id !== redacted.id || err instanceof WithheldError, 'others\' sealed keys do not open');
      t.ok(err instanceof DecryptionError || err instanceof WithheldError);
    }
  }
  t.ok(recordKeys.length >= 1);
  // Every body it can decrypt: the originals' keys are never in the open.
  const bodies = await db.selectFrom('record_versions').select(['version', 'key_version', 'body']).where('record_id', '=', id).execute();
  let opened = 0;
  for (const v of bodies) {
    const key = recordKeys.find((k) => k.keyVersion === v.key_version);
    if (!key) continue;
    const body = decryptBody(s, key.key, id, v.version, v.key_version, v.body);
    opened += 1;
    const text = JSON.stringify(body);
    for (const a of originals) t.notOk(text.includes(a.key), `v${v.version}: ${a.name}'s key is not in the body`);
  }
  t.equal(opened, bodies.length, 'it decrypts every body of this record (all written under seeded key versions)');

  // The database edited to hand it the owner's and the full grantee's sealed keys as its own.
  for (const other of [owner.id, full.id]) {
    await db.deleteFrom('record_keys').where('record_id', '=', id).where('recipient_id', '=', redacted.id).execute();
    await db.insertInto('record_keys').columns(['record_id', 'key_version', 'recipient_id', 'sealed_key', 'created_at'])
      .expression(db.selectFrom('record_keys').select(['record_id', 'key_version', (eb) => eb.val(redacted.id).as('recipient_id'), 'sealed_key', 'created_at']).where('record_id', '=', id).where('recipient_id', '=', other))
      .execute();
    await t.rejects(redacted.vault.getRecord(id), DecryptionError, `served ${other === owner.id ? "the owner's" : "the full grantee's"} sealed keys, it opens nothing`);
  }
});

t.test('a record written before redaction stays readable; a redacted share shuts its earlier versions to the grantee', async (t) => {
  const owner = await person('coord');
  const lawyer = await person('lawyer');
  const me = unlocked(owner.vault);
  // A version-1 record, as clients before body version 2 wrote it.
  const id = uuidV4(s);
  const key = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  const now = new Date().toISOString();
  const body = encryptBody(s, key, id, 1, 1, { v: 1, fields: { title: 'old', narrative: 'from 2025' }, attachments: [], createdAt: now, writtenAt: now });
  const signature = s.crypto_sign_detached(recordVersionStatement(id, 1, 1, s.crypto_hash_sha256(body)), me.privateKeys.signSecretKey);
  const res = await fetch(`${server.url}/v1/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
    body: JSON.stringify({ id, version: 1, keyVersion: 1, body: b64(body), signature: b64(signature), sealedKeys: [{ recipientId: me.accountId, sealedKey: b64(sealRecordKey(s, key, id, 1, me.identity.boxPublicKey)) }] }),
  });
  t.equal(res.status, 201, 'the old format is still accepted by the server');
  t.equal((await owner.vault.getRecord(id)).fields.title, 'old', 'and read by this client');
  const { fileId } = await owner.vault.attachFile(id, jpeg, { name: 'IMG_0042.jpg', type: 'image/jpeg' });
  const before = await owner.vault.getRecord(id);
  t.same([before.version, before.keyVersion], [2, 1], 'the photo was added under the old key: its file key is in the open in version 2');

  await owner.vault.share(id, lawyer.handle, { redactPhotos: true });
  const after = await owner.vault.getRecord(id);
  t.equal(after.keyVersion, 2, 'the redacted share rotated the key first');
  t.equal(sha256(await read(owner.vault, id, fileId)), sha256(jpeg), 'the original is untouched');

  const seen = await lawyer.vault.recordVersions(id);
  t.same(seen.map((v) => v.keyVersion), seen.map(() => 2), 'the lawyer reads the versions from the rotation on');
  t.ok(seen.length >= 2 && seen[0]!.version === 3);
  await t.rejects(lawyer.vault.getRecord(id, { version: 2 }), WithheldError, 'version 2 (with the key in the open) is shut to it');
  const v1Keys = await db.selectFrom('record_keys').select(['recipient_id', 'sealed_key']).where('record_id', '=', id).where('key_version', '=', 1).execute();
  const lm = unlocked(lawyer.vault);
  for (const k of v1Keys) {
    t.throws(() => openRecordKeys(s, k.sealed_key, id, 1, lm.identity.boxPublicKey, lm.privateKeys.boxSecretKey), k.recipient_id === lawyer.id ? WithheldError : DecryptionError, 'no key version 1 opens for it');
  }
});

t.test('revocation and rotation keep redacted access redacted; a photo added later is withheld and copied at once', async (t) => {
  const { owner, redacted, full, id } = await sharedCase();
  const rotated = await owner.vault.revoke(id, full.handle);
  const seen = await redacted.vault.getRecord(id);
  t.same([seen.keyVersion, seen.access], [rotated.keyVersion, 'redacted'], 'after the rotation the redacted grantee still holds the record key only');
  const late = await owner.vault.attachFile(id, jpeg, { name: 'IMG_0050.jpg', type: 'image/jpeg' });
  t.ok((await redacted.vault.getRecord(id)).withheldOriginals.some((w) => w.fileId === late.fileId), 'a photo attached after the share is withheld');
  t.same(late.redaction?.made.map((m) => m.original), [late.fileId], 'attaching it made its copy at once, and only its');
  t.same((await owner.vault.makeRedactedCopies(id)).made, [], 'nothing is left to copy');
  const copy = (await redacted.vault.getRecord(id)).attachments.find((a) => a.redactionOf?.fileId === late.fileId)!;
  t.ok(copy, 'the redacted reader has the copy without another share');
  t.equal(await exifr.gps(await read(redacted.vault, id, copy.fileId)), undefined);
  const doc = await owner.vault.attachFile(id, Buffer.from('acta'), { name: 'acta.txt', type: 'text/plain' });
  t.equal(doc.redaction, undefined, 'a document needs no copy');
  // Shared again in full, the same person gets the originals.
  await owner.vault.revoke(id, redacted.handle);
  await owner.vault.share(id, redacted.handle);
  t.equal((await redacted.vault.getRecord(id)).access, 'full');
  t.equal(sha256(await read(redacted.vault, id, late.fileId)), sha256(jpeg));
});

t.test('a server that relinks a redacted copy to another original is caught', async (t) => {
  const { owner, redacted, id, jpegId } = await sharedCase();
  // A second photo of the same size, so its copy's ciphertext has the same length.
  const second = await owner.vault.attachFile(id, jpeg, { name: 'IMG_0043.jpg', type: 'image/jpeg' });
  const seen = await redacted.vault.getRecord(id);
  const copyOf = (o: string) => seen.attachments.find((a) => a.redactionOf?.fileId === o)!;
  // Serving the other copy's bytes under this copy's id: they do not open.
  const [a, b] = [copyOf(jpegId).fileId, copyOf(second.fileId).fileId];
  const chunk = (f: string) => db.selectFrom('file_chunks').select('data').where('file_id', '=', f).where('idx', '=', 0).executeTakeFirstOrThrow();
  const [da, dbytes] = [(await chunk(a)).data, (await chunk(b)).data];
  const put = (f: string, data: Buffer) => db.updateTable('file_chunks').set({ data }).where('file_id', '=', f).where('idx', '=', 0).execute();
  await put(a, dbytes);
  t.equal(da.length, dbytes.length);
  await t.rejects(read(redacted.vault, id, a), { code: 'VAULT_ERR_DECRYPTION' }, "another copy's bytes under this id fail to decrypt");
  await put(a, da);
  t.equal(await exifr.gps(await read(redacted.vault, id, a)), undefined, 'put back, it opens');

  // An older version's body (other links) served as the latest: the signature does not cover it.
  const rows = await db.selectFrom('record_versions').select(['version', 'body']).where('record_id', '=', id).orderBy('version', 'desc').limit(2).execute();
  await db.updateTable('record_versions').set({ body: rows[1]!.body }).where('record_id', '=', id).where('version', '=', rows[0]!.version).execute();
  await t.rejects(redacted.vault.getRecord(id), SignatureError, 'a body moved between versions fails its signature');

  // A body whose link names an original the record does not hold (or with another SHA-256) is refused by the reader.
  const att = (over: Partial<Attachment>): Attachment => ({ ...copyOf(jpegId), ...over });
  const keys = { kind: 'key-only' as const, recordKey: new Uint8Array(32) };
  const withheld = { ...seen.withheldOriginals.find((w) => w.fileId === jpegId)!, chunkSize: 1, chunks: 1, header: '', withheldKey: 'AA' };
  t.throws(() => decodeAttachments(s, [withheld, att({ redactionOf: { ...copyOf(jpegId).redactionOf!, sha256: sha256(png) } })], keys, id, 1), IntegrityError, 'another SHA-256');
  t.throws(() => decodeAttachments(s, [withheld, att({ redactionOf: { ...copyOf(jpegId).redactionOf!, fileId: second.fileId } })], keys, id, 1), IntegrityError, 'another original');
  t.throws(() => decodeAttachments(s, [att({})], keys, id, 1), IntegrityError, 'an original not in the body');
  t.doesNotThrow(() => decodeAttachments(s, [withheld, att({})], keys, id, 1), 'the honest link passes');
});

t.test('a redacted share to someone who already has access is refused before anything is written', async (t) => {
  const { owner, full, id } = await sharedCase();
  const before = (await owner.vault.getRecord(id)).version;
  await t.rejects(owner.vault.share(id, full.handle, { redactPhotos: true }), { name: 'VaultError', message: /already has access/ });
  t.equal((await owner.vault.getRecord(id)).version, before, 'no version, no copy was written');
  t.equal((await full.vault.getRecord(id)).access, 'full', 'the live grant is unchanged');
});
