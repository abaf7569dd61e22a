import { grantStatement, type GrantTerms, fromBase64Url } from '@testimony-vault/protocol';
import type { Sodium } from '../crypto/sodium.ts';
import { SignatureError } from '../errors.ts';

// [Note: grants]
// A grant is the owner's Ed25519 signature over grantStatement: record, key version at
// the time, owner handle, the grantee's handle and exact public keys, when, until when.
// The server checks it before storing; the grantee checks it before reading (it must name
// the grantee's own keys and be signed by the record's owner), and the owner checks it
// before re-sealing a rotated key, taking the grantee's box key from the grant itself.

export function signGrant(s: Sodium, terms: GrantTerms, ownerSignSecretKey: Uint8Array): Uint8Array {
  return s.crypto_sign_detached(grantStatement(terms), ownerSignSecretKey);
}

export function verifyGrant(s: Sodium, terms: GrantTerms, signature: Uint8Array, ownerSignPublicKey: Uint8Array): void {
  let ok = false;
  try {
    ok = signature.length === 64 && s.crypto_sign_verify_detached(signature, grantStatement(terms), ownerSignPublicKey);
  } catch {
    ok = false;
  }
  if (!ok) throw new SignatureError(`grant on record ${terms.recordId} for ${terms.grantee.handle} is not signed by its owner ${terms.owner}`);
}

/** A timestamp from the wire as milliseconds, or a SignatureError (a grant that cannot be checked is not a grant). */
function wireMillis(text: string, what: string): number {
  const ms = Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new SignatureError(`${what} is not a timestamp`);
  return ms;
}

/** A grant as the server serves it: terms with ISO timestamps, and the owner's signature in base64url. */
export interface WireGrantTerms {
  recordId: string;
  keyVersion: number;
  owner: string;
  grantee: GrantTerms['grantee'];
  grantedAt: string;
  expiresAt: string | null;
  signature: string;
}

/** Verifies a grant from the wire against the owner's signing key; throws SignatureError. */
export function verifyWireGrant(s: Sodium, g: WireGrantTerms, ownerSignPublicKey: Uint8Array): void {
  const terms: GrantTerms = {
    recordId: g.recordId,
    keyVersion: g.keyVersion,
    owner: g.owner,
    grantee: g.grantee,
    grantedAt: wireMillis(g.grantedAt, 'grantedAt'),
    expiresAt: g.expiresAt === null ? null : wireMillis(g.expiresAt, 'expiresAt'),
  };
  let signature: Uint8Array;
  try {
    signature = fromBase64Url(g.signature);
  } catch {
    throw new SignatureError('grant signature is not base64url');
  }
  verifyGrant(s, terms, signature, ownerSignPublicKey);
}
