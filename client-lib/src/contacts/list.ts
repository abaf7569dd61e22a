import { fromUtf8, utf8, contactListAad, contactListStatement, fromBase64Url, toBase64Url } from '@testimony-vault/protocol';
import { open, seal } from '../crypto/aead.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { IntegrityError, SignatureError } from '../errors.ts';
import { paddedLength } from '../records/padding.ts';

// [Note: contact list]
// The keys a client pinned for other people, and which of them were verified by
// comparing safety numbers, follow the account to every device: the list is stored on
// the server as an envelope under the account's master key (associated data: label,
// handle, version) and signed with the account's signing key over the same version and
// the envelope's hash. The server can neither read nor alter it; it could serve an older
// version, which the client catches when it remembers a newer one (state store).

export interface Contact {
  handle: string;
  signPublicKey: Uint8Array;
  boxPublicKey: Uint8Array;
  /** True once the user confirmed the safety number out of band. */
  verified: boolean;
  pinnedAt: string;
  verifiedAt: string | null;
}

interface ContactJson {
  handle: string;
  signPublicKey: string;
  boxPublicKey: string;
  verified: boolean;
  pinnedAt: string;
  verifiedAt: string | null;
}

export interface WireContactList {
  version: number;
  body: string;
  signature: string;
}

export function sealContactList(
  s: Sodium, masterKey: Uint8Array, signSecretKey: Uint8Array, handle: string, version: number, contacts: Contact[],
): WireContactList {
  const json: { v: 1; contacts: ContactJson[] } = {
    v: 1,
    contacts: contacts.map((c) => ({ ...c, signPublicKey: toBase64Url(c.signPublicKey), boxPublicKey: toBase64Url(c.boxPublicKey) })),
  };
  const bytes = utf8(JSON.stringify(json));
  const body = seal(s, masterKey, s.pad(bytes, paddedLength(bytes.length)), contactListAad(handle, version));
  const signature = s.crypto_sign_detached(contactListStatement(handle, version, s.crypto_hash_sha256(body)), signSecretKey);
  return { version, body: toBase64Url(body), signature: toBase64Url(signature) };
}

export function openContactList(
  s: Sodium, masterKey: Uint8Array, signPublicKey: Uint8Array, handle: string, w: WireContactList,
): Contact[] {
  let body: Uint8Array;
  let signature: Uint8Array;
  try {
    body = fromBase64Url(w.body);
    signature = fromBase64Url(w.signature);
  } catch {
    throw new IntegrityError('contact list is not base64url');
  }
  if (!Number.isSafeInteger(w.version) || w.version < 1) throw new IntegrityError('contact list has no valid version');
  let valid = false;
  try {
    valid = signature.length === 64 && s.crypto_sign_verify_detached(signature, contactListStatement(handle, w.version, s.crypto_hash_sha256(body)), signPublicKey);
  } catch {
    valid = false;
  }
  if (!valid) throw new SignatureError('contact list: signature does not verify');
  const padded = open(s, masterKey, body, contactListAad(handle, w.version), 'contact list');
  let parsed: { v?: unknown; contacts?: unknown };
  try {
    parsed = JSON.parse(fromUtf8(s.unpad(padded, padded.length))) as typeof parsed;
  } catch {
    throw new IntegrityError('contact list is not padded JSON');
  }
  if (parsed.v !== 1 || !Array.isArray(parsed.contacts)) throw new IntegrityError('contact list is not version 1');
  return (parsed.contacts as ContactJson[]).map((c) => ({
    ...c,
    signPublicKey: fromBase64Url(c.signPublicKey),
    boxPublicKey: fromBase64Url(c.boxPublicKey),
  }));
}
