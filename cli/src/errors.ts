import {
  ApiError, FingerprintMismatchError, IntegrityError, KeyChangedError, NetworkError, RecoveryKeyFormatError, VaultError, WrongPassphraseError,
} from '@testimony-vault/client/node';
import { en, type MessageKey } from './i18n/en.ts';
import type { Translate } from './i18n/index.ts';

/** A mistake in how tvault was called: the message says what to do. */
export class UsageError extends Error {}

/** Ctrl-C at a question: nothing was sent or changed; the message says how to go on. */
export class CanceledError extends Error {}

// One exit code per class of failure, so scripts can branch on it.
export const EXIT = { usage: 2, wrongPassphrase: 3, unreachable: 4, integrity: 5, keyChanged: 6, notFound: 7, tooBig: 8, canceled: 130, other: 1 } as const;

/** One clear line, and the exit code of its class. */
export function explain(err: unknown, t: Translate, server: string | undefined): { line: string; code: number } {
  const detail = err instanceof Error ? err.message : String(err);
  if (err instanceof CanceledError) return { line: t('error.canceled'), code: EXIT.canceled };
  if (err instanceof UsageError) return { line: t('error.usage', { detail }), code: EXIT.usage };
  if (err instanceof WrongPassphraseError) return { line: t('error.wrongPassphrase'), code: EXIT.wrongPassphrase };
  if (err instanceof KeyChangedError) {
    return { line: t('error.keyChanged', { handle: err.handle, pinned: err.pinnedFingerprint, presented: err.presentedFingerprint }), code: EXIT.keyChanged };
  }
  if (err instanceof NetworkError) return { line: t('error.unreachable', { server: server ?? '?' }), code: EXIT.unreachable };
  if (err instanceof IntegrityError) return { line: t('error.integrity', { detail }), code: EXIT.integrity };
  if (err instanceof FingerprintMismatchError) return { line: t('error.fingerprintMismatch'), code: EXIT.usage };
  if (err instanceof RecoveryKeyFormatError) return { line: t('error.recoveryFormat'), code: EXIT.usage };
  if (err instanceof ApiError) return { line: serverLine(err, t, detail), code: err.status === 413 ? EXIT.tooBig : err.status === 404 || err.status === 403 ? EXIT.notFound : EXIT.other };
  if (err instanceof VaultError) return { line: t('error.other', { detail }), code: EXIT.other };
  return { line: t('error.other', { detail }), code: EXIT.other };
}

/**
 * A server's refusal in the user's words, from its stable code; its own message (English,
 * and text from another party) follows in parentheses, never alone.
 */
function serverLine(err: ApiError, t: Translate, detail: string): string {
  const key = `server.${err.code}`;
  const said = key in en ? t(key as MessageKey) : t('server.other', { code: err.code });
  return `${said} ${t('error.serverSaid', { code: err.code, detail })}`;
}
