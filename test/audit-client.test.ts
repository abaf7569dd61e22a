// The audit log, client side, with no server: a small log built here (leaves, tree, signed
// checkpoint), checked by verifyExport and by AuditClient against a fake server; then each
// kind of tampering, which must end in AuditLogError.
import t from 'tap';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { Http } from '../client-lib/src/api/http.ts';
import type { Unlocked } from '../client-lib/src/account/session.ts';
import { toBase64Url } from '@testimony-vault/protocol';
import { AuditLogError, IntegrityError, MemoryStateStore } from '@testimony-vault/client';
import * as publicApi from '@testimony-vault/client';
import { MerkleProofError, hashLeaf } from '@testimony-vault/protocol/merkle';
import {
  checkpointBody,
  decodeAuditEvent,
  encodeAuditEvent,
  fromBase64,
  noteKeyId,
  parseCheckpoint,
  parseVerifierKey,
  signedNote,
  verifierKey,
  type AuditEvent,
} from '@testimony-vault/protocol';
import { AuditClient } from '../client-lib/src/audit/client.ts';
import { openNote, verifyCheckpoint } from '../client-lib/src/audit/checkpoint.ts';
import { AUDIT_EXPORT_FORMAT, buildExport, verifyExport, type AuditExport } from '../client-lib/src/audit/export.ts';
import { consistencyProof, inclusionProof, multiLeafProof, rootHash } from '../server/src/audit/merkle-tree.ts';

const s = await sodiumReady();
const ORIGIN = 'vault.test/audit-log';
const REC_A = '0a6c1c7e-3b1f-4c55-9d3e-1f2a3b4c5d6e';
const REC_B = '7d2e8f90-1a2b-4c3d-8e9f-a0b1c2d3e4f5';
const FILE_1 = 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b';

interface Key {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  vkey: string;
}
function newKey(name = ORIGIN): Key {
  const kp = s.crypto_sign_keypair();
  return { publicKey: kp.publicKey, privateKey: kp.privateKey, vkey: verifierKey(name, kp.publicKey) };
}
function sign(key: Key, size: number, root: Uint8Array, origin = ORIGIN, name = origin): string {
  const body = checkpointBody(origin, size, root);
  return signedNote(body, name, noteKeyId(name, key.publicKey), s.crypto_sign_detached(new TextEncoder().encode(body), key.privateKey));
}

type Spec = Omit<AuditEvent, 'index' | 'prev' | 'ip' | 'at' | 'recordId' | 'fileId' | 'subject' | 'salt'> & Partial<Pick<AuditEvent, 'recordId' | 'fileId' | 'subject'>>;

/** An append-only log built as the server builds it: index = size, prev = last leaf hash of the record. */
class Log {
  leaves: Uint8Array[] = [];
  private lastOf = new Map<string, Uint8Array>();
  append(e: Spec): number {
    const index = this.leaves.length;
    const recordId = e.recordId ?? null;
    const leaf = encodeAuditEvent({
      index,
      at: Date.UTC(2025, 0, 1) + index * 60_000,
      actor: e.actor,
      action: e.action,
      outcome: e.outcome,
      recordId,
      fileId: e.fileId ?? null,
      subject: e.subject ?? null,
      prev: recordId ? (this.lastOf.get(recordId) ?? null) : null,
      ip: null,
      salt: new Uint8Array(16).fill(index),
    });
    this.leaves.push(leaf);
    if (recordId) this.lastOf.set(recordId, hashLeaf(leaf));
    return index;
  }
  hashes(size = this.leaves.length): Uint8Array[] {
    return this.leaves.slice(0, size).map(hashLeaf);
  }
  root(size = this.leaves.length): Uint8Array {
    return rootHash(this.hashes(size));
  }
  proof(index: number, size = this.leaves.length): Uint8Array[] {
    return inclusionProof(index, this.hashes(size));
  }
  indicesOf(recordId: string, size = this.leaves.length): number[] {
    return this.leaves.slice(0, size).flatMap((l, i) => (decodeAuditEvent(l).recordId === recordId ? [i] : []));
  }
}

function sampleLog(): Log {
  const log = new Log();
  log.append({ actor: 'alice', action: 'account.login', outcome: 'ok' }); // 0
  log.append({ actor: 'alice', action: 'record.create', outcome: 'ok', recordId: REC_A }); // 1
  log.append({ actor: 'bob', action: 'record.create', outcome: 'ok', recordId: REC_B }); // 2
  log.append({ actor: 'alice', action: 'file.upload', outcome: 'ok', recordId: REC_A, fileId: FILE_1 }); // 3
  log.append({ actor: 'alice', action: 'grant.share', outcome: 'ok', recordId: REC_A, subject: 'carol' }); // 4
  log.append({ actor: 'mallory', action: 'record.read', outcome: 'refused', recordId: REC_A }); // 5
  log.append({ actor: 'carol', action: 'record.read', outcome: 'ok', recordId: REC_A }); // 6
  log.append({ actor: 'bob', action: 'record.read', outcome: 'ok', recordId: REC_B }); // 7
  log.append({ actor: 'carol', action: 'file.download', outcome: 'ok', recordId: REC_A, fileId: FILE_1 }); // 8
  log.append({ actor: null, action: 'account.login-failed', outcome: 'refused' }); // 9
  return log;
}

const KEY = newKey();
const LOG = sampleLog();

function makeExport(options: { log?: Log; key?: Key; recordId?: string; chainComplete?: boolean; indices?: number[] } = {}): AuditExport {
  const log = options.log ?? LOG;
  const key = options.key ?? KEY;
  const recordId = options.recordId ?? REC_A;
  const size = log.leaves.length;
  const root = log.root();
  return buildExport({
    verifierKey: key.vkey,
    checkpoint: sign(key, size, root),
    origin: ORIGIN,
    recordId,
    chainComplete: options.chainComplete ?? true,
    items: (options.indices ?? log.indicesOf(recordId)).map((index) => ({ index, leaf: log.leaves[index]!, proof: log.proof(index) })),
    exportedAt: new Date('2025-02-01T00:00:00Z'),
  });
}

/** A deep copy of the export, through JSON as it would travel. */
const copy = (doc: AuditExport): AuditExport => JSON.parse(JSON.stringify(doc)) as AuditExport;

/** The few assertions rejectsAudit uses (tap's Test type is generic in its plugins). */
interface Tap {
  ok(value: unknown, message: string): unknown;
  fail(message: string): unknown;
}

async function rejectsAudit(t: Tap, p: Promise<unknown> | (() => unknown), message: string, cause?: new (...a: never[]) => Error) {
  try {
    await (typeof p === 'function' ? p() : p);
    t.fail(`${message}: accepted`);
  } catch (err) {
    t.ok(err instanceof AuditLogError && err instanceof IntegrityError && (err as AuditLogError).code === 'VAULT_ERR_AUDIT_LOG', `${message}: ${String(err)}`);
    if (cause) t.ok((err as Error).cause instanceof cause, `${message}: cause is ${cause.name}`);
  }
}

// ---------------------------------------------------------------- fixed vectors

t.test('signed notes match the Go reference (golang.org/x/mod/sumdb/note) byte for byte', async (t) => {
  // The example key, signer key and note of Go's note package documentation and tests.
  const vkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  const skey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
  const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const note = `${text}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

  const parsed = parseVerifierKey(vkey);
  t.equal(parsed.name, 'PeterNeumann');
  t.equal(s.to_hex(parsed.keyId), 'c74f20a3');
  t.equal(verifierKey(parsed.name, parsed.publicKey), vkey, 'verifierKey() writes the same text');

  const seed = fromBase64(skey.split('+').slice(4).join('+')).slice(1);
  const kp = s.crypto_sign_seed_keypair(seed);
  t.same(kp.publicKey, parsed.publicKey, 'the signer key belongs to the verifier key');
  const signature = s.crypto_sign_detached(new TextEncoder().encode(text), kp.privateKey);
  t.equal(signedNote(text, 'PeterNeumann', noteKeyId('PeterNeumann', kp.publicKey), signature), note, 'signedNote() writes the published note');

  t.equal(openNote(s, note, vkey), text, 'openNote accepts it');
  await rejectsAudit(t, () => openNote(s, note.replace('cryptography', 'cryptographY'), vkey), 'one letter changed');

  // A checkpoint under that key, signed here: the same code path as the server's log key.
  const root = s.crypto_hash_sha256(new TextEncoder().encode('x'));
  const body = checkpointBody('PeterNeumann', 12, root);
  const cp = signedNote(body, 'PeterNeumann', parsed.keyId, s.crypto_sign_detached(new TextEncoder().encode(body), kp.privateKey));
  t.same(verifyCheckpoint(s, cp, vkey), { origin: 'PeterNeumann', size: 12, root });
});

t.test('a real sum.golang.org checkpoint: the signature verifies, and its origin is not the key name', async (t) => {
  const vkey = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
  const note =
    'go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n' +
    '\u2014 sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n';
  t.equal(openNote(s, note, vkey), 'go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n');
  const cp = parseCheckpoint(note);
  t.equal(cp.size, 6476701);
  t.equal(cp.root.length, 32);
  // Our protocol requires the origin to be the key's name; Go's sumdb names them differently.
  await rejectsAudit(t, () => verifyCheckpoint(s, note, vkey), 'origin is not the key name');
  await rejectsAudit(t, () => openNote(s, note.replace('6476701', '6476702'), vkey), 'size changed');
  // A second signature line from another key (a witness) is ignored.
  const witness = newKey('witness.example');
  const withWitness = `${note}\u2014 witness.example ${toBase64(new Uint8Array([...noteKeyId('witness.example', witness.publicKey), ...new Uint8Array(64)]))}\n`;
  t.ok(openNote(s, withWitness, vkey), 'an extra signature by another key does not matter');
  await rejectsAudit(t, () => openNote(s, `${note}${note.slice(note.indexOf('\u2014'))}`, vkey), 'two signatures by the log key');
});

function toBase64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64');
}

t.test('verifier keys and checkpoints round-trip', async (t) => {
  const parsed = parseVerifierKey(KEY.vkey);
  t.equal(parsed.name, ORIGIN);
  t.same(parsed.publicKey, KEY.publicKey);
  t.match(KEY.vkey, /^vault\.test\/audit-log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
  const note = sign(KEY, LOG.leaves.length, LOG.root());
  t.match(note, /^vault\.test\/audit-log\n10\n[A-Za-z0-9+/]{43}=\n\n\u2014 vault\.test\/audit-log [A-Za-z0-9+/]{91}=\n$/);
  t.same(verifyCheckpoint(s, note, KEY.vkey), { origin: ORIGIN, size: 10, root: LOG.root() });
  t.throws(() => parseVerifierKey(KEY.vkey.replace(/\+([0-9a-f]{8})\+/, '+00000000+')), RangeError, 'key id must match');
});

t.test('leaf decoding: every event round-trips; non-UTF-8 text and a byte-order mark are RangeErrors', async (t) => {
  for (const leaf of LOG.leaves) t.same(encodeAuditEvent(decodeAuditEvent(leaf)), leaf);
  const base: AuditEvent = { index: 0, at: 1, actor: 'abc', action: 'account.login', outcome: 'ok', recordId: null, fileId: null, subject: null, prev: null, ip: null, salt: new Uint8Array(16) };
  const leaf = encodeAuditEvent(base);
  const at = 'tvault/v1/audit-event'.length + 8 + 8 + 4;
  t.equal(new TextDecoder().decode(leaf.subarray(at, at + 3)), 'abc');
  const bad = leaf.slice();
  bad[at] = 0xff;
  bad[at + 1] = 0xfe;
  t.throws(() => decodeAuditEvent(bad), RangeError, 'invalid UTF-8 is a RangeError, not a TypeError');
  t.throws(() => decodeAuditEvent(encodeAuditEvent({ ...base, actor: '\uFEFFabc' })), RangeError, 'a leading BOM would decode like another leaf');
});

t.test('leaf decoding is one-to-one: any changed byte, cut or addition either fails or decodes to an event that encodes back to exactly those bytes', async (t) => {
  // decodeAuditEvent no longer re-encodes what it decoded; this is what that check guarded.
  const fc = await import('fast-check');
  const samples = LOG.leaves.slice(0, 8);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: samples.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert'), (which, position, byte, how) => {
      const leaf = samples[which]!;
      const at = position % leaf.length;
      const changed =
        how === 'set' ? Uint8Array.from(leaf, (b, i) => (i === at ? byte : b))
        : how === 'cut' ? Uint8Array.from([...leaf.subarray(0, at), ...leaf.subarray(at + 1)])
        : Uint8Array.from([...leaf.subarray(0, at), byte, ...leaf.subarray(at)]);
      let event: AuditEvent;
      try {
        event = decodeAuditEvent(changed);
      } catch (e) {
        return e instanceof RangeError;
      }
      return Buffer.from(encodeAuditEvent(event)).equals(Buffer.from(changed));
    }),
    { numRuns: 20_000 },
  );
  t.pass('20,000 changed leaves');
});

t.test("leaf decoding: a hostile server's text cannot reach a terminal; a newer server's actions can", async (t) => {
  const base: AuditEvent = { index: 0, at: 1, actor: 'alice', action: 'record.read', outcome: 'ok', recordId: null, fileId: null, subject: 'bob', prev: null, ip: '203.0.113.7', salt: new Uint8Array(16) };
  t.same(decodeAuditEvent(encodeAuditEvent(base)), base, 'an ordinary event');
  // Up one line and erase it: printed after an access, this would hide that access's line.
  const erase = '\u001b[1A\u001b[2K';
  for (const [field, value] of [
    ['actor', `mallory${erase}`], ['subject', `bob${erase}`], ['action', `record.read${erase}`], ['outcome', `ok${erase}`],
    ['ip', `1.2.3.4${erase}`], ['actor', 'Alice'], ['action', 'record'], ['action', ''], ['outcome', 'OK'], ['actor', 'a\nb'],
  ] as const) {
    t.throws(() => decodeAuditEvent(encodeAuditEvent({ ...base, [field]: value })), RangeError, `${field} ${JSON.stringify(value)} is refused`);
  }
  const newer = decodeAuditEvent(encodeAuditEvent({ ...base, action: 'file.rename', outcome: 'held-for-review' }));
  t.same([newer.action, newer.outcome], ['file.rename', 'held-for-review'], 'an action and outcome this client does not know yet are read by their shape');
  const ipv6 = decodeAuditEvent(encodeAuditEvent({ ...base, ip: 'fe80::1%eth0' }));
  t.equal(ipv6.ip, 'fe80::1%eth0', 'an IPv6 address with its zone');
});

// ---------------------------------------------------------------- exports

t.test('an export made from the log verifies, also after a JSON round trip', async (t) => {
  const doc = makeExport();
  t.equal(doc.format, AUDIT_EXPORT_FORMAT);
  t.match(doc.explanation, /verify-export/);
  t.match(doc.explanation, /Español/);
  const events = verifyExport(copy(doc));
  t.same(events.map((e) => e.index), [1, 3, 4, 5, 6, 8]);
  t.same(events[0], { index: 1, at: new Date(Date.UTC(2025, 0, 1) + 60_000), actor: 'alice', action: 'record.create', outcome: 'ok', recordId: REC_A, fileId: null, subject: null });
  t.same(events.map((e) => e.action), ['record.create', 'file.upload', 'grant.share', 'record.read', 'record.read', 'file.download']);
  t.equal(events[2]!.subject, 'carol');
  t.equal(events[5]!.fileId, FILE_1);
  t.equal(events[3]!.outcome, 'refused');
  t.same(verifyExport(copy(doc), { verifierKey: KEY.vkey }), events, 'with the same key given independently');
  t.same(verifyExport(copy(doc), { verifierKey: ` ${KEY.vkey}\n` }), events, 'surrounding whitespace in the key given is ignored');
  t.same((verifyExport(makeExport({ recordId: REC_B }))).map((e) => e.index), [2, 7], 'another record');
  t.throws(() => verifyExport(makeExport({ indices: [] })), AuditLogError, "an owner's history with no events has lost its beginning");
  t.same(verifyExport(makeExport({ indices: [], chainComplete: false })), [], 'an extract with no events');
  // A reviewer's extract: only some events, no chain claimed.
  t.same((verifyExport(makeExport({ chainComplete: false, indices: [6, 8] }))).map((e) => e.index), [6, 8]);
});

t.test('a changed event byte is refused', async (t) => {
  const doc = makeExport();
  const leaf = LOG.leaves[4]!;
  for (const position of [0, 21, 29, leaf.length - 5, leaf.length - 1]) {
    const d = copy(doc);
    const tampered = leaf.slice();
    tampered[position]! ^= 0x01;
    d.events[2]!.leaf = toBase64Url(tampered);
    await rejectsAudit(t, () => verifyExport(d), `byte ${position} of an event flipped`);
  }
  // A time changed: still a well-formed event, no longer the one in the tree.
  const d = copy(doc);
  const e = decodeAuditEvent(LOG.leaves[4]!);
  d.events[2]!.leaf = toBase64Url(encodeAuditEvent({ ...e, at: e.at + 1 }));
  await rejectsAudit(t, () => verifyExport(d), 'time moved by 1 ms', MerkleProofError);
  const d2 = copy(doc);
  d2.events[2]!.leaf = 'not base64!';
  await rejectsAudit(t, () => verifyExport(d2), 'a leaf that is not base64url', RangeError);
});

t.test('an event deleted from the middle breaks the chain', async (t) => {
  const doc = makeExport();
  const d = copy(doc);
  d.events.splice(3, 1);
  await rejectsAudit(t, () => verifyExport(d), 'the refused read by mallory left out');
  const first = copy(doc);
  first.events.shift();
  await rejectsAudit(t, () => verifyExport(first), 'the first event left out');
  const reordered = copy(doc);
  [reordered.events[1], reordered.events[2]] = [reordered.events[2]!, reordered.events[1]!];
  await rejectsAudit(t, () => verifyExport(reordered), 'two events swapped');
  const dup = copy(doc);
  dup.events.splice(2, 0, dup.events[1]!);
  await rejectsAudit(t, () => verifyExport(dup), 'an event shown twice');
  // Without the owner's chain, an extract is what it says: the events listed are in the log.
  d.chainComplete = false;
  t.equal((verifyExport(d)).length, 5, 'the same list accepted as an extract (chainComplete false)');
  // The last events cannot be proven missing: the chain proves the middle, not the end.
  const tail = copy(doc);
  tail.events.pop();
  t.equal((verifyExport(tail)).length, 5, 'a history cut at the end still chains (documented limit)');
});

t.test('an event of another record, or a changed record id, is refused', async (t) => {
  const d = copy(makeExport({ chainComplete: false }));
  d.events.splice(1, 0, { index: 2, leaf: toBase64Url(LOG.leaves[2]!), proof: LOG.proof(2).map(toBase64Url) });
  await rejectsAudit(t, () => verifyExport(d), "record B's event in record A's export");
  const other = copy(makeExport());
  other.recordId = REC_B;
  await rejectsAudit(t, () => verifyExport(other), 'the recordId changed');
  const none = copy(makeExport({ chainComplete: false }));
  none.events = [{ index: 0, leaf: toBase64Url(LOG.leaves[0]!), proof: LOG.proof(0).map(toBase64Url) }];
  await rejectsAudit(t, () => verifyExport(none), 'an event about no record');
  const index = copy(makeExport());
  index.events[1]!.index = 2;
  await rejectsAudit(t, () => verifyExport(index), 'the index written next to a leaf is not the leaf’s');
});

t.test('the checkpoint signature swapped or re-made', async (t) => {
  const doc = makeExport();
  const sigLine = (note: string) => note.slice(note.indexOf('\n\n') + 2);
  // The signature of another checkpoint by the same key (the log at 9 events).
  const older = sign(KEY, 9, LOG.root(9));
  const swapped = copy(doc);
  swapped.checkpoint = doc.checkpoint.replace(sigLine(doc.checkpoint), sigLine(older));
  await rejectsAudit(t, () => verifyExport(swapped), "another checkpoint's signature");
  // A signature by another key under the log's name.
  const forger = newKey();
  const forged = copy(doc);
  forged.checkpoint = sign(forger, LOG.leaves.length, LOG.root());
  await rejectsAudit(t, () => verifyExport(forged), 'signed by another key with the same name');
  // One bit of the signature flipped, keeping the key id.
  const flipped = copy(doc);
  const raw = fromBase64(sigLine(doc.checkpoint).split(' ')[2]!.trim());
  raw[10]! ^= 0x01;
  flipped.checkpoint = doc.checkpoint.replace(sigLine(doc.checkpoint), `\u2014 ${ORIGIN} ${toBase64(raw)}\n`);
  await rejectsAudit(t, () => verifyExport(flipped), 'a bit of the signature flipped');
  const unsigned = copy(doc);
  unsigned.checkpoint = doc.checkpoint.slice(0, doc.checkpoint.indexOf('\n\n') + 2);
  await rejectsAudit(t, () => verifyExport(unsigned), 'no signature line', RangeError);
  const truncated = copy(doc);
  truncated.checkpoint = doc.checkpoint.replace(sigLine(doc.checkpoint), `\u2014 ${ORIGIN} ${toBase64(raw.slice(0, 40))}\n`);
  await rejectsAudit(t, () => verifyExport(truncated), 'a short signature');
});

t.test('a different verifier key', async (t) => {
  const doc = makeExport();
  const other = newKey();
  await rejectsAudit(t, () => verifyExport(copy(doc), { verifierKey: other.vkey }), 'the key given is not the one in the file');
  await rejectsAudit(t, () => verifyExport(copy(doc), { verifierKey: newKey('another.origin').vkey }), 'a key with another name');
  await rejectsAudit(t, () => verifyExport(copy(doc), { verifierKey: 'not a key' }), 'a malformed key given', RangeError);
  // A server that re-signed a rewritten log with its own new key and wrote that key in the
  // file: accepted on the file's word alone, refused against the key obtained independently.
  const rewritten = sampleLog();
  const fake = makeExport({ log: rewritten, key: other });
  t.ok(verifyExport(copy(fake)), 'self-consistent with the key it names');
  await rejectsAudit(t, () => verifyExport(copy(fake), { verifierKey: KEY.vkey }), 'refused against the pinned key');
  const named = copy(doc);
  named.verifierKey = other.vkey;
  await rejectsAudit(t, () => verifyExport(named), 'the key in the file replaced, the checkpoint not re-signed');
  const origin = copy(doc);
  origin.origin = 'elsewhere/log';
  await rejectsAudit(t, () => verifyExport(origin), 'the origin field changed');
});

t.test('root or size altered in the checkpoint', async (t) => {
  const doc = makeExport();
  const [origin, size, root] = doc.checkpoint.split('\n') as [string, string, string];
  const bigger = copy(doc);
  bigger.checkpoint = doc.checkpoint.replace(`${origin}\n${size}\n`, `${origin}\n11\n`);
  await rejectsAudit(t, () => verifyExport(bigger), 'size 10 -> 11');
  const otherRoot = copy(doc);
  otherRoot.checkpoint = doc.checkpoint.replace(root, toBase64(LOG.root(9)));
  await rejectsAudit(t, () => verifyExport(otherRoot), 'root replaced');
  // Re-signed by the right key but for a tree the events are not in: inclusion fails.
  const resigned = copy(doc);
  resigned.checkpoint = sign(KEY, 10, LOG.root(9));
  await rejectsAudit(t, () => verifyExport(resigned), 'a validly signed checkpoint of another root', MerkleProofError);
  const smaller = copy(doc);
  smaller.checkpoint = sign(KEY, 9, LOG.root(9));
  await rejectsAudit(t, () => verifyExport(smaller), 'a checkpoint before the last event', MerkleProofError);
  const bad = copy(doc);
  bad.checkpoint = doc.checkpoint.replace(`\n${size}\n`, '\n010\n');
  await rejectsAudit(t, () => verifyExport(bad), 'a size with a leading zero');
});

t.test('a wrong inclusion proof', async (t) => {
  const doc = makeExport();
  const swapped = copy(doc);
  [swapped.events[1]!.proof, swapped.events[2]!.proof] = [swapped.events[2]!.proof, swapped.events[1]!.proof];
  await rejectsAudit(t, () => verifyExport(swapped), "proofs of two events swapped", MerkleProofError);
  const short = copy(doc);
  short.events[0]!.proof.pop();
  await rejectsAudit(t, () => verifyExport(short), 'a proof one hash short', MerkleProofError);
  const long = copy(doc);
  long.events[0]!.proof.push(long.events[0]!.proof[0]!);
  await rejectsAudit(t, () => verifyExport(long), 'a proof one hash long', MerkleProofError);
  const flipped = copy(doc);
  const h = fromBase64(Buffer.from(flipped.events[0]!.proof[0]!, 'base64url').toString('base64'));
  h[0]! ^= 1;
  flipped.events[0]!.proof[0] = toBase64Url(h);
  await rejectsAudit(t, () => verifyExport(flipped), 'a proof hash changed', MerkleProofError);
  const shortHash = copy(doc);
  shortHash.events[0]!.proof[0] = toBase64Url(new Uint8Array(31));
  await rejectsAudit(t, () => verifyExport(shortHash), 'a 31-byte proof hash', MerkleProofError);
  const notList = copy(doc) as unknown as { events: { proof: unknown }[] };
  notList.events[0]!.proof = 'abc';
  await rejectsAudit(t, () => verifyExport(notList), 'a proof that is not a list');
});

t.test('malformed documents', async (t) => {
  for (const [what, doc] of [
    ['null', null],
    ['a list', []],
    ['another format', { ...makeExport(), format: 'tvault-audit-export/v2' }],
    ['no checkpoint', { ...makeExport(), checkpoint: undefined }],
    ['chainComplete a string', { ...makeExport(), chainComplete: 'true' }],
    ['events not a list', { ...makeExport(), events: {} }],
    ['an event without index', { ...makeExport(), events: [{ leaf: toBase64Url(LOG.leaves[1]!), proof: [] }] }],
  ] as const) {
    await rejectsAudit(t, () => verifyExport(doc), what);
  }
});

// ---------------------------------------------------------------- AuditClient against a fake server

/** The API of docs/PROTOCOL.md "API" over an in-memory log, with knobs for hostility. */
class FakeServer {
  log = sampleLog();
  key = KEY;
  keyAnswered = KEY;
  requests: string[] = [];
  /** Which of the record's events the server shows (before paging and proofs). */
  select: (indices: number[]) => number[] = (i) => i;
  /** Rewrites a history page before it is sent. */
  history: (answer: { size: number; events: { leaf: string }[]; proof: string[]; next: number | null }) => unknown = (a) => a;
  /** The checkpoint's tree size, when it should differ from the log's (a rolled-back server). */
  size: number | undefined;

  fetch = async (input: string | URL | Request): Promise<Response> => {
    const url = new URL(String(input));
    this.requests.push(url.pathname + url.search);
    const q = url.searchParams;
    const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    const size = this.size ?? this.log.leaves.length;
    if (url.pathname === '/v1/audit/key') return json({ origin: ORIGIN, verifierKey: this.keyAnswered.vkey });
    if (url.pathname === '/v1/audit/checkpoint') return json({ checkpoint: sign(this.key, size, this.log.root(size)) });
    if (url.pathname === '/v1/audit/consistency') {
      return json({ proof: consistencyProof(Number(q.get('from')), this.log.hashes(Number(q.get('to')))).map(toBase64Url) });
    }
    const m = /^\/v1\/records\/([^/]+)\/history$/.exec(url.pathname);
    if (m) {
      const at = Number(q.get('size'));
      const after = Number(q.get('after') ?? -1);
      const limit = Number(q.get('limit') ?? 200);
      const page = this.select(this.log.indicesOf(m[1]!, at)).filter((i) => i > after).slice(0, limit);
      const events = page.map((i) => ({ leaf: toBase64Url(this.log.leaves[i]!) }));
      const proof = page.length === 0 ? [] : multiLeafProof(page, this.log.hashes(at)).map(toBase64Url);
      return json(this.history({ size: at, events, proof, next: page.length === limit ? page[page.length - 1]! : null }));
    }
    return json({ code: 'VAULT_ERR_ROUTE_NOT_FOUND', message: 'no route' }, 404);
  };
}

const SERVER = 'http://vault.test';
const alice = { handle: 'alice', identity: { signPublicKey: new Uint8Array(32).fill(1) } } as Unlocked;
const carol = { handle: 'carol', identity: { signPublicKey: new Uint8Array(32).fill(3) } } as Unlocked;
function client(server: FakeServer, options: { state?: MemoryStateStore; logKey?: string; me?: Unlocked } = {}) {
  const state = options.state ?? new MemoryStateStore();
  const http = new Http({ server: `${SERVER}/`, fetch: server.fetch as typeof fetch });
  return { state, audit: new AuditClient(s, http, () => options.me ?? alice, state, { logKey: options.logKey }) };
}

t.test('checkpoint: the key is pinned on first use, the checkpoint stored, growth checked by consistency', async (t) => {
  const server = new FakeServer();
  const { audit, state } = client(server);
  const cp = await audit.checkpoint();
  t.equal(cp.size, 10);
  t.same(cp.root, server.log.root());
  t.equal(cp.verifierKey, KEY.vkey);
  t.equal(await state.get(`auditkey:${SERVER}`), KEY.vkey, 'pinned under the server URL');
  t.same(JSON.parse((await state.get(`checkpoint:${ORIGIN}`))!), { size: 10, root: toBase64Url(server.log.root()) });

  server.log.append({ actor: 'alice', action: 'record.update', outcome: 'ok', recordId: REC_A });
  server.log.append({ actor: 'alice', action: 'session.end', outcome: 'ok' });
  server.requests = [];
  const grown = await audit.checkpoint();
  t.equal(grown.size, 12);
  t.same(server.requests, ['/v1/audit/checkpoint', '/v1/audit/consistency?from=10&to=12'], 'the key is not asked again; consistency is');
  t.equal(JSON.parse((await state.get(`checkpoint:${ORIGIN}`))!).size, 12);

  server.requests = [];
  await audit.checkpoint();
  t.same(server.requests, ['/v1/audit/checkpoint'], 'same size: roots compared, no proof needed');

  const both = await Promise.all([audit.checkpoint(), audit.checkpoint(), audit.checkpoint()]);
  t.same(both.map((c) => c.size), [12, 12, 12], 'concurrent calls run one after the other');
});

t.test('checkpoint: a changed log key, a log that shrank, was rewritten or forked', async (t) => {
  const server = new FakeServer();
  const { audit, state } = client(server);
  await audit.checkpoint();

  const keyChanged = new FakeServer();
  keyChanged.key = keyChanged.keyAnswered = newKey();
  await rejectsAudit(t, client(keyChanged, { state }).audit.checkpoint(), 'the server now signs with another key');

  const shrunk = new FakeServer();
  shrunk.size = 8;
  await rejectsAudit(t, client(shrunk, { state }).audit.checkpoint(), 'the log shrank from 10 to 8');

  const rewritten = new FakeServer();
  rewritten.log = new Log();
  for (const leaf of sampleLog().leaves.map((l) => decodeAuditEvent(l))) {
    rewritten.log.append({ ...leaf, actor: leaf.actor === 'mallory' ? 'someone' : leaf.actor });
  }
  await rejectsAudit(t, client(rewritten, { state }).audit.checkpoint(), 'same size, another root');
  rewritten.log.append({ actor: 'alice', action: 'session.end', outcome: 'ok' });
  await rejectsAudit(t, client(rewritten, { state }).audit.checkpoint(), 'a rewritten log that grew', MerkleProofError);

  t.equal(JSON.parse((await state.get(`checkpoint:${ORIGIN}`))!).size, 10, 'nothing refused was stored');
  t.ok(await client(server, { state }).audit.checkpoint(), 'the honest log still verifies');

  await state.set(`checkpoint:${ORIGIN}`, '{"size":3}');
  await rejectsAudit(t, client(server, { state }).audit.checkpoint(), 'a damaged stored checkpoint');
});

t.test('checkpoint: ConnectOptions.logKey is the only key accepted', async (t) => {
  const server = new FakeServer();
  const { audit, state } = client(server, { logKey: KEY.vkey });
  t.equal((await audit.checkpoint()).size, 10);
  t.notOk(server.requests.includes('/v1/audit/key'), 'the server is not asked for its key');
  t.equal(await state.get(`auditkey:${SERVER}`), undefined);

  const impostor = new FakeServer();
  impostor.key = impostor.keyAnswered = newKey();
  await rejectsAudit(t, client(impostor, { logKey: KEY.vkey }).audit.checkpoint(), 'a server with another key');
  await rejectsAudit(t, client(server, { logKey: 'nonsense' }).audit.checkpoint(), 'a malformed logKey', RangeError);
  // The key answered must name the log's origin.
  const misnamed = new FakeServer();
  misnamed.keyAnswered = newKey('another/log');
  await rejectsAudit(t, client(misnamed).audit.checkpoint(), "a key whose name is not the server's origin");
});

t.test('recordHistory: the owner gets every event, checked for inclusion and chain', async (t) => {
  const server = new FakeServer();
  const { audit } = client(server);
  const events = await audit.recordHistory(REC_A, 'alice');
  t.same(events.map((e) => e.index), [1, 3, 4, 5, 6, 8]);
  t.ok(server.requests.includes('/v1/records/0a6c1c7e-3b1f-4c55-9d3e-1f2a3b4c5d6e/history?size=10&after=-1&limit=1000'), 'asked at the checkpoint size');
  t.same(Object.keys(events[0]!).sort(), ['action', 'actor', 'at', 'fileId', 'index', 'outcome', 'recordId', 'subject']);

  const doc = await audit.exportHistory(REC_A, 'alice');
  t.equal(doc.chainComplete, true);
  t.same(verifyExport(copy(doc), { verifierKey: KEY.vkey }), events, 'its export verifies offline');

  server.history = (a) => ({ ...a, events: a.events.filter((_, i) => i !== 3) });
  await rejectsAudit(t, audit.recordHistory(REC_A, 'alice'), 'the server leaves out one event from the owner');
  await rejectsAudit(t, audit.exportHistory(REC_A, 'alice'), 'nor exports it');
  server.history = (a) => ({ ...a, size: a.size - 1 });
  await rejectsAudit(t, audit.recordHistory(REC_A, 'alice'), 'a history for another tree size');
  server.history = (a) => ({ ...a, events: [...a.events, { leaf: toBase64Url(server.log.leaves[7]!) }] });
  await rejectsAudit(t, audit.recordHistory(REC_A, 'alice'), "another record's event added");
  server.history = (a) => ({ ...a, proof: [] });
  await rejectsAudit(t, audit.recordHistory(REC_A, 'alice'), 'an empty proof', MerkleProofError);
  server.history = () => ({ size: 10 });
  await rejectsAudit(t, audit.recordHistory(REC_A, 'alice'), 'no events list');
});

t.test('recordHistory: a reviewer sees an extract, not checked as a chain', async (t) => {
  const server = new FakeServer();
  server.select = (indices) => indices.filter((i) => decodeAuditEvent(server.log.leaves[i]!).actor === 'carol');
  const { audit } = client(server, { me: carol });
  const events = await audit.recordHistory(REC_A, 'alice');
  t.same(events.map((e) => [e.index, e.actor, e.action]), [[6, 'carol', 'record.read'], [8, 'carol', 'file.download']]);
  const doc = await audit.exportHistory(REC_A, 'alice');
  t.equal(doc.chainComplete, false);
  t.same(verifyExport(copy(doc)), events);
  // The same extract shown to the owner is refused: the owner must see every event.
  await rejectsAudit(t, client(server).audit.recordHistory(REC_A, 'alice'), 'an extract shown to the owner');
});

t.test('the public entry point exports the audit API', async (t) => {
  t.equal(typeof publicApi.verifyExport, 'function');
  t.equal(new publicApi.AuditLogError('x').code, 'VAULT_ERR_AUDIT_LOG');
  t.equal(typeof publicApi.Vault.prototype.recordHistory, 'function');
  t.equal(typeof publicApi.Vault.prototype.exportHistory, 'function');
  t.equal(typeof publicApi.Vault.prototype.auditCheckpoint, 'function');
});
