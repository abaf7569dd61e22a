// What a failure means to the person in front of the screen. Every message comes from the
// catalogues (errors.*); a record or log that fails verification is not an error but a
// warning of tampering, shown by TamperWarning.
import type { WorkerFailure } from './worker/errors-transfer.ts';
import { language } from './i18n/index.ts';

// [Note: who names a failure]
// A server's error answer carries a `code` of the server's choosing: a hostile one could
// send any text there, or a code that reads like tampering. So tampering is decided by the
// class of the error the client library threw after its own checks (its name crosses the
// worker boundary; a server's answer is always an ApiError or ServerError), and a code is
// shown to the person only when it has the shape of one.
const INTEGRITY = new Set(['IntegrityError', 'DecryptionError', 'SignatureError', 'RollbackError', 'AuditLogError', 'MerkleProofError', 'WeakKdfError']);
const CODE_SHAPE = /^VAULT_ERR_[A-Z_]{1,40}$/;

/** Server and client codes with a message of their own; the rest fall back to errors.other. */
const KNOWN: Record<string, string> = {
  VAULT_ERR_BAD_CREDENTIALS: 'errors.wrongPassphrase',
  VAULT_ERR_NETWORK: 'errors.unreachable',
  VAULT_ERR_NOT_READY: 'errors.unreachable',
  VAULT_ERR_BUSY: 'errors.busy',
  VAULT_ERR_RATE_LIMITED: 'errors.rateLimited',
  VAULT_ERR_QUOTA_EXCEEDED: 'errors.quota',
  VAULT_ERR_FILE_TOO_LARGE: 'errors.fileTooLarge',
  VAULT_ERR_UPLOAD_SOURCE_CHANGED: 'errors.fileChanged',
  VAULT_ERR_HANDLE_TAKEN: 'errors.handleTaken',
  VAULT_ERR_INVITE_REQUIRED: 'errors.inviteRequired',
  VAULT_ERR_INVITE_INVALID: 'errors.inviteInvalid',
  VAULT_ERR_RECOVERY_KEY_FORMAT: 'errors.recoveryFormat',
  VAULT_ERR_HANDLE_FORMAT: 'errors.handleFormat',
  VAULT_ERR_UNAUTHENTICATED: 'errors.sessionEnded',
  VAULT_ERR_LOCKED: 'errors.sessionEnded',
  VAULT_ERR_NOT_FOUND: 'errors.notFound',
  VAULT_ERR_FORBIDDEN: 'errors.forbidden',
  VAULT_ERR_VERSION_CONFLICT: 'errors.conflict',
  VAULT_ERR_KEY_CHANGED: 'errors.keyChanged',
  VAULT_ERR_FINGERPRINT_MISMATCH: 'errors.fingerprintMismatch',
  VAULT_ERR_UNKNOWN_USER: 'errors.unknownUser',
  VAULT_ERR_VALIDATION: 'errors.invalid',
  VAULT_ERR_CLIENT: 'errors.invalid',
  VAULT_ERR_BODY_TOO_LARGE: 'errors.recordTooLarge',
  VAULT_ERR_INTERNAL: 'errors.server',
  VAULT_ERR_BUNDLE: 'errors.bundle',
  VAULT_ERR_SCREEN_LOAD: 'errors.screenLoad',
  VAULT_ERR_SCREEN_INTEGRITY: 'errors.screenIntegrity',
};

export function failureOf(err: unknown): WorkerFailure {
  const f = (err as { failure?: WorkerFailure } | null | undefined)?.failure;
  if (f) return f;
  const e = err as { name?: string; code?: string; message?: string } | undefined;
  return { name: e?.name ?? 'Error', code: e?.code ?? 'VAULT_ERR_CLIENT', message: e?.message ?? String(err) };
}

export function isTampering(err: unknown): boolean {
  return INTEGRITY.has(failureOf(err).name);
}

/** The code to show (for whoever helps), or '' when it is not one of ours in shape. */
export function shownCode(err: unknown): string {
  const { code } = failureOf(err);
  return CODE_SHAPE.test(code) ? code : '';
}

/** Catalogue key of the message for `err`. */
export function messageKey(err: unknown): string {
  const f = failureOf(err);
  if (INTEGRITY.has(f.name)) return 'errors.tampered';
  if (f.code === 'VAULT_ERR_PROTOCOL' || (f.status ?? 0) >= 500) return 'errors.server';
  return KNOWN[f.code] ?? 'errors.other';
}

/** What exactly to fix, beside the message, when the failure says (which recovery words). */
export function detailOf(err: unknown): { key: string; params: Record<string, unknown> } | undefined {
  const f = failureOf(err);
  if (f.code !== 'VAULT_ERR_RECOVERY_KEY_FORMAT' || f.wordCount === undefined) return undefined;
  if (f.unknownWords?.length) {
    const list = new Intl.ListFormat(language.value, { type: 'conjunction' }).format(f.unknownWords.map(String)); // "5 y 9"
    return { key: 'errors.recoveryUnknown', params: { count: f.unknownWords.length, list } };
  }
  if (f.wordCount !== 24) return { key: 'errors.recoveryCount', params: { count: f.wordCount } };
  return { key: 'errors.recoveryChecksum', params: {} };
}

/** Worth trying again by itself: the server was away or busy. */
export function isTransient(err: unknown): boolean {
  const f = failureOf(err);
  return f.code === 'VAULT_ERR_NETWORK' || f.code === 'VAULT_ERR_NOT_READY' || f.code === 'VAULT_ERR_BUSY' || (f.status ?? 0) >= 500;
}

/** A file that changed on disk (or went away) reads the same way again: it must be picked anew, not retried. */
export function needsNewPick(err: unknown): boolean {
  return failureOf(err).code === 'VAULT_ERR_UPLOAD_SOURCE_CHANGED';
}
