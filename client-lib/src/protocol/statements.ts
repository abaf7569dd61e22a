import { concat, field, u32be, utf8, uuidBytes } from './bytes.ts';
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
