import { concat, field, u32be, u64be, utf8, uuidBytes } from './bytes.ts';
import { LABEL } from './labels.ts';

// The exact bytes that are signed or bound as associated data. The server imports
// this module too, to check signatures before it stores anything.

/** What an account signs about itself: its handle and both public keys. */
export function identityStatement(handle: string, signPublicKey: Uint8Array, boxPublicKey: Uint8Array): Uint8Array {
  return concat(utf8(LABEL.identity), field(utf8(handle)), field(signPublicKey), field(boxPublicKey));
}

/** Associated data of a record body: which record, which version, under which key. */
export function recordBodyAad(recordId: string, version: number, keyVersion: number): Uint8Array {
  return concat(utf8(LABEL.recordBody), uuidBytes(recordId), u32be(version), u32be(keyVersion));
}

/**
 * What the author signs for each record version. `bodyHash` is SHA-256 of the stored
 * body envelope (version byte, nonce and ciphertext), so the server can check it too.
 */
export function recordVersionStatement(
  recordId: string,
  version: number,
  keyVersion: number,
  bodyHash: Uint8Array,
): Uint8Array {
  return concat(utf8(LABEL.recordVersionSignature), uuidBytes(recordId), u32be(version), u32be(keyVersion), field(bodyHash));
}

/**
 * What the owner signs to delete a record: the record and the latest version the owner
 * verified. The server deletes only when that version is still the current one, so a
 * stolen session token cannot delete, and a captured deletion cannot be replayed after
 * the record has changed.
 */
export function recordDeleteStatement(recordId: string, latestVersion: number): Uint8Array {
  return concat(utf8(LABEL.recordDeleteSignature), uuidBytes(recordId), u32be(latestVersion));
}

/** What an owner signs to let a grantee read a record (docs/PROTOCOL.md "Grants"). */
export interface GrantTerms {
  recordId: string;
  /** The record's key version when the grant was made. */
  keyVersion: number;
  owner: string;
  grantee: { handle: string; signPublicKey: Uint8Array; boxPublicKey: Uint8Array };
  /** Milliseconds since the Unix epoch. */
  grantedAt: number;
  /** Milliseconds since the Unix epoch, or null for a grant without an end. */
  expiresAt: number | null;
}

/**
 * The grant binds the record, the owner's handle and the grantee's exact public keys, so
 * a server that swaps the grantee's keys makes the grant fail to verify for everyone.
 * An absent expiry is encoded as 0.
 */
export function grantStatement(g: GrantTerms): Uint8Array {
  return concat(
    utf8(LABEL.grantSignature),
    uuidBytes(g.recordId),
    u32be(g.keyVersion),
    field(utf8(g.owner)),
    field(utf8(g.grantee.handle)),
    field(g.grantee.signPublicKey),
    field(g.grantee.boxPublicKey),
    u64be(g.grantedAt),
    u64be(g.expiresAt ?? 0),
  );
}

/** Associated data of a contact-list envelope: whose list, which version. */
export function contactListAad(handle: string, version: number): Uint8Array {
  return concat(utf8(LABEL.contactList), field(utf8(handle)), u32be(version));
}

/** What an account signs for each version of its contact list (the server checks it too). */
export function contactListStatement(handle: string, version: number, bodyHash: Uint8Array): Uint8Array {
  return concat(utf8(LABEL.contactListSignature), field(utf8(handle)), u32be(version), field(bodyHash));
}

/**
 * Associated data of a session label: the account (its signing key, which the client has
 * verified, not the server's account id) and the session it names, so a server cannot move
 * a label to another session or another account.
 */
export function sessionLabelAad(accountSignPublicKey: Uint8Array, sessionId: string): Uint8Array {
  return concat(utf8(LABEL.sessionLabel), field(accountSignPublicKey), field(uuidBytes(sessionId)));
}
