import { equalBytes, recordVersionStatement, fromBase64Url } from '@testimony-vault/protocol';
import type { WireIdentity } from '../api/wire.ts';
import { fingerprint, verifyIdentity, type PublicIdentity } from '../crypto/identity.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { IntegrityError, SignatureError } from '../errors.ts';
import type { Unlocked } from '../account/session.ts';
import { identityFromWire } from '../account/session.ts';
import { decryptBody } from './body.ts';
import { verifyWireGrant } from '../sharing/grant.ts';
import { OpenedKeys, type RecordKeys } from './record-key.ts';
import { decodeAttachments, openRedactedGrantees, type RedactedGrantee } from './withholding.ts';
import type { VaultRecord } from './types.ts';

export interface WireRecordVersion {
  id: string;
  version: number;
  keyVersion: number;
  latestVersion: number;
  body: string;
  signature: string;
  sealedKey: string;
  createdAt: string;
  owner: string;
  author: WireIdentity;
  /** The reader's grant when the reader is not the owner. */
  grant: WireGrantProof | null;
}

export interface WireGrantProof {
  keyVersion: number;
  grantedAt: string;
  expiresAt: string | null;
  signature: string;
}

function bytes(text: string, what: string): Uint8Array {
  try {
    return fromBase64Url(text);
  } catch {
    throw new IntegrityError(`${what} is not base64url`);
  }
}

/**
 * Only a record's owner writes it. The owner reads with exactly the keys it unlocked; any
 * other reader must hold a grant signed by the owner that names this reader's own keys
 * (the owner's keys themselves are checked against this client's pins before this, in
 * RecordsClient). A grant row the server made up, or signed by anyone else, fails here.
 */
function checkAuthor(s: Sodium, me: Unlocked, w: WireRecordVersion, author: PublicIdentity): void {
  if (author.handle !== w.owner) throw new SignatureError(`version written by ${author.handle}, who does not own the record`);
  if (w.owner === me.handle) {
    if (!equalBytes(author.signPublicKey, me.identity.signPublicKey) || !equalBytes(author.boxPublicKey, me.identity.boxPublicKey)) {
      throw new SignatureError(`version signed by a key that is not ${me.handle}'s`);
    }
    return;
  }
  const g = w.grant;
  if (!g) throw new SignatureError(`record ${w.id} is served to ${me.handle} without a grant from its owner`);
  const grantee = { handle: me.handle, signPublicKey: me.identity.signPublicKey, boxPublicKey: me.identity.boxPublicKey };
  verifyWireGrant(s, { ...g, recordId: w.id, owner: w.owner, grantee }, author.signPublicKey);
}

export interface Opened {
  record: VaultRecord;
  recordKey: Uint8Array;
  /** All this reader holds for the version's key version (the seed too, for full readers). */
  keys: RecordKeys;
  /** The owner's list of redacted grantees (empty for a reader without the originals key). */
  redactedGrantees: RedactedGrantee[];
}

// [Note: the body names its key kind]
// A sealed box is anonymous: anyone who knows a key version's record key (a redacted
// grantee does) can seal it under any label to anyone, the owner included. Were the owner's
// client to believe a "record key only" or "version 1" label on its own record, it would
// write the next photos' file keys open in the body and, at the next rotation, read the
// sealed list of redacted grantees as empty and seal them the seed. So the signed body says
// what its key version holds, and the sealed key must agree: a seeded version opens as the
// seed (or the record key only, for a grantee), a version-1 one as a version-1 key; and
// the owner, who made every key version, must hold all of it. A server can still give a
// full grantee only the record key (it then sees the redacted view): a denial, not a leak.
function checkKeyKind(w: WireRecordVersion, me: Unlocked, keys: RecordKeys, bodyKeys: 'seed' | 'v1'): void {
  const agrees = bodyKeys === 'v1' ? keys.kind === 'v1' : keys.kind === 'seed' || (keys.kind === 'key-only' && w.owner !== me.handle);
  if (!agrees) {
    throw new IntegrityError(`record ${w.id} v${w.version}: the sealed key (${keys.kind}) is not what the signed body says its key version holds (${bodyKeys})`);
  }
}

// [Note: identities verified once]
// Every version names its author's identity, and a listing names the same one (the owner's)
// on every record. An identity whose self-signature verified is remembered by its exact
// wire text (handle, both keys and the signature, as the server sent them), with its safety
// number: the same text decodes to the same bytes, so it would verify again. Any other
// text, a changed signature included, is verified afresh. What the identity may do (own the
// record, match this account's keys or the owner's grant, match a pin) is checked for every
// version as before.

/** Identities whose self-signature verified, by their wire text; a few hundred at most. */
export class VerifiedIdentities {
  private readonly known = new Map<string, { identity: PublicIdentity; fingerprint: string }>();

  verified(s: Sodium, w: WireIdentity): { identity: PublicIdentity; fingerprint: string } {
    const key = JSON.stringify([w.handle, w.signPublicKey, w.boxPublicKey, w.signature]);
    const hit = this.known.get(key);
    if (hit) return hit;
    const identity = identityFromWire(w);
    verifyIdentity(s, identity);
    const entry = { identity, fingerprint: fingerprint(s, identity) };
    if (this.known.size >= 512) this.known.clear();
    this.known.set(key, entry);
    return entry;
  }
}

/** Verifies, in order: author identity, signature over the exact bytes, sealed key, body. */
export function verifyAndOpen(
  s: Sodium, me: Unlocked, w: WireRecordVersion, identities = new VerifiedIdentities(), opened = new OpenedKeys(),
): Opened {
  const { identity: author, fingerprint: authorFingerprint } = identities.verified(s, w.author);
  checkAuthor(s, me, w, author);

  const body = bytes(w.body, 'record body');
  const signature = bytes(w.signature, 'record signature');
  const statement = recordVersionStatement(w.id, w.version, w.keyVersion, s.crypto_hash_sha256(body));
  let valid = false;
  try {
    valid = signature.length === 64 && s.crypto_sign_verify_detached(signature, statement, author.signPublicKey);
  } catch {
    valid = false;
  }
  if (!valid) throw new SignatureError(`record ${w.id} v${w.version}: signature does not verify`);

  const keys = opened.open(s, w.sealedKey, (text) => bytes(text, 'sealed key'), w.id, w.keyVersion, me.identity.boxPublicKey, me.privateKeys.boxSecretKey);
  const plain = decryptBody(s, keys.recordKey, w.id, w.version, w.keyVersion, body);
  checkKeyKind(w, me, keys, plain.v === 2 ? plain.keys : 'v1');
  const files = decodeAttachments(s, plain.attachments, keys, w.id, w.keyVersion);
  return {
    recordKey: keys.recordKey,
    keys,
    redactedGrantees: plain.v === 2 ? openRedactedGrantees(s, keys, plain.redactedGrantees, w.id, w.version, w.keyVersion) : [],
    record: {
      id: w.id,
      version: w.version,
      keyVersion: w.keyVersion,
      latestVersion: w.latestVersion,
      owner: w.owner,
      author: { handle: author.handle, fingerprint: authorFingerprint, verified: w.owner === me.handle },
      createdAt: new Date(plain.createdAt),
      writtenAt: new Date(plain.writtenAt),
      fields: plain.fields,
      attachments: files.attachments,
      access: keys.kind === 'key-only' ? 'redacted' : 'full',
      withheldOriginals: files.withheldOriginals,
    },
  };
}
