// [Note: client errors]
// Every failure is a thrown class with a stable `code`. A failed decryption, a bad
// signature, a rollback and a changed key are distinct types; the integrity ones share
// the IntegrityError base so callers can treat "the server handed us bad data" as one.

export class VaultError extends Error {
  readonly code: string = 'VAULT_ERR_CLIENT';
  override name = 'VaultError';
}

/** The handle or passphrase (or recovery key) is wrong. */
export class WrongPassphraseError extends VaultError {
  override readonly code = 'VAULT_ERR_BAD_CREDENTIALS';
  override name = 'WrongPassphraseError';
  constructor(message = 'handle or passphrase is wrong') {
    super(message);
  }
}

/** The server offered key-derivation parameters below the client's floor. */
export class WeakKdfError extends VaultError {
  override readonly code = 'VAULT_ERR_WEAK_KDF';
  override name = 'WeakKdfError';
}

/**
 * The recovery words are not 24 words of the list with a correct checksum. Says what is
 * wrong without repeating a word (they are the key): how many words were read, and the
 * places (from 1) of those not in the list. Neither, with 24 words: one is mistyped into
 * another word of the list, or two are swapped.
 */
export class RecoveryKeyFormatError extends VaultError {
  override readonly code = 'VAULT_ERR_RECOVERY_KEY_FORMAT';
  override name = 'RecoveryKeyFormatError';
  constructor(
    readonly wordCount = 0,
    readonly unknownWords: number[] = [],
  ) {
    super(`the recovery key is not 24 valid recovery words (${wordCount} words read, ${unknownWords.length} not in the list)`);
  }
}

/** An invite code that is neither shape (protocol/src/invites.ts): refused before anything is sent, as the server would refuse it. */
export class InviteFormatError extends VaultError {
  override readonly code = 'VAULT_ERR_INVITE_INVALID';
  override name = 'InviteFormatError';
  constructor() {
    super('not an invite code');
  }
}

/** A handle that can never be one: 3 to 32 of a-z, 0-9, dot, dash, underscore (after trimming and lower-casing). */
export class HandleFormatError extends VaultError {
  override readonly code = 'VAULT_ERR_HANDLE_FORMAT';
  override name = 'HandleFormatError';
  constructor() {
    super('a handle is 3 to 32 characters: a-z, 0-9, dot, dash, underscore, starting with a letter or digit');
  }
}

/** The server could not be reached or the connection failed. */
export class NetworkError extends VaultError {
  override readonly code = 'VAULT_ERR_NETWORK';
  override name = 'NetworkError';
}

/** The server answered with an error; `code` is the server's stable code. */
export class ApiError extends VaultError {
  override readonly code: string;
  readonly status: number;
  override name = 'ApiError';
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The server failed (5xx) or answered something that is not the protocol. */
export class ServerError extends ApiError {
  override name = 'ServerError';
}

/** Data from the server is not what its author wrote: altered, swapped, forged or stale. */
export class IntegrityError extends VaultError {
  override readonly code: string = 'VAULT_ERR_INTEGRITY';
  override name = 'IntegrityError';
}

export class DecryptionError extends IntegrityError {
  override readonly code = 'VAULT_ERR_DECRYPTION';
  override name = 'DecryptionError';
}

/**
 * This account's access to a record is redacted, and what was asked is kept from it: a
 * version written before its access began, or a photo's original (docs/PROTOCOL.md
 * "Redacted copies"). Not tampering: the owner chose it.
 */
export class WithheldError extends VaultError {
  override readonly code = 'VAULT_ERR_WITHHELD';
  override name = 'WithheldError';
}

export class SignatureError extends IntegrityError {
  override readonly code = 'VAULT_ERR_SIGNATURE';
  override name = 'SignatureError';
}

/** The server presented an older version as the latest one this client has seen. */
export class RollbackError extends IntegrityError {
  override readonly code = 'VAULT_ERR_ROLLBACK';
  override name = 'RollbackError';
}

/**
 * The audit log did not prove what it claimed: a checkpoint not signed by the pinned log
 * key, a log that shrank, forked or was rewritten, an event that is not in the signed tree,
 * a record history with an event left out, or an export that fails any of these checks.
 * `cause` holds the underlying MerkleProofError or parse error, when there is one.
 */
export class AuditLogError extends IntegrityError {
  override readonly code = 'VAULT_ERR_AUDIT_LOG';
  override name = 'AuditLogError';
}

/**
 * resumeUpload was given bytes other than the ones the upload committed to before its first
 * chunk was encrypted (or the source changed while it was read). Nothing was encrypted or
 * sent from the differing bytes; the upload stays as it was, to resume with the right file.
 */
export class UploadSourceChangedError extends VaultError {
  override readonly code = 'VAULT_ERR_UPLOAD_SOURCE_CHANGED';
  override name = 'UploadSourceChangedError';
}

/** A contact's keys differ from the ones pinned for that handle. */
export class KeyChangedError extends VaultError {
  override readonly code = 'VAULT_ERR_KEY_CHANGED';
  override name = 'KeyChangedError';
  readonly handle: string;
  readonly pinnedFingerprint: string;
  readonly presentedFingerprint: string;
  constructor(handle: string, pinnedFingerprint: string, presentedFingerprint: string) {
    super(`the keys of ${handle} changed: pinned ${pinnedFingerprint}, presented ${presentedFingerprint}`);
    this.handle = handle;
    this.pinnedFingerprint = pinnedFingerprint;
    this.presentedFingerprint = presentedFingerprint;
  }
}

/** The safety number a user typed does not match the keys the server presents for that handle. */
export class FingerprintMismatchError extends VaultError {
  override readonly code = 'VAULT_ERR_FINGERPRINT_MISMATCH';
  override name = 'FingerprintMismatchError';
  constructor(handle: string) {
    super(`the safety number does not match the keys the server presents for ${handle}: do not trust them; compare again in person or by a call`);
  }
}
