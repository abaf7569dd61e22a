import { AuditLogError } from '../errors.ts';
import { MerkleProofError } from '@testimony-vault/protocol/merkle';

/** Throws an AuditLogError. */
export function fail(message: string, cause?: unknown): never {
  throw cause === undefined ? new AuditLogError(message) : new AuditLogError(message, { cause });
}

/**
 * Runs `fn`, turning the ways parsing and proof checking reject data (MerkleProofError,
 * RangeError from the decoders, TypeError from libsodium's length checks) into an
 * AuditLogError that says what was being checked and keeps the original as `cause`.
 */
export function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AuditLogError) throw err;
    if (err instanceof MerkleProofError || err instanceof RangeError || err instanceof TypeError) {
      fail(`${what}: ${err.message}`, err);
    }
    throw err;
  }
}
