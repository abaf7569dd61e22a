// Checking a signed checkpoint (docs/PROTOCOL.md "Checkpoints", "What a client checks" 1).
import type { Sodium } from '../crypto/sodium.ts';
import { equalBytes, utf8, parseCheckpoint, parseSignedNote, parseVerifierKey } from '@testimony-vault/protocol';
import { fail, guard } from './fail.ts';

/** A tree head whose signature was checked: take size and root from here, together. */
export interface VerifiedCheckpoint {
  origin: string;
  size: number;
  root: Uint8Array;
}

const ED25519_SIGNATURE_BYTES = 64;

/** The verifier key `vkey` parsed, or an AuditLogError naming `what` it is. */
export function parseLogKey(vkey: unknown, what = 'the log verifier key'): { name: string; keyId: Uint8Array; publicKey: Uint8Array } {
  if (typeof vkey !== 'string') fail(`${what} is not text`);
  return guard(what, () => parseVerifierKey(vkey));
}

/**
 * Checks a C2SP signed note against one Ed25519 verifier key and returns the signed text.
 * Exactly one signature line must carry the key's name and key id, and it must verify;
 * lines from other keys (witnesses, say) are ignored.
 */
export function openNote(s: Sodium, note: unknown, vkey: string): string {
  const key = parseLogKey(vkey);
  if (typeof note !== 'string') fail('the checkpoint is not text');
  const { body, signatures } = guard('the checkpoint is malformed', () => parseSignedNote(note));
  const mine = signatures.filter((sig) => sig.name === key.name && equalBytes(sig.keyId, key.keyId));
  if (mine.length === 0) {
    fail(`the checkpoint is not signed by the pinned log key ${vkey}: the server's log key changed, or this is another log`);
  }
  if (mine.length > 1) fail('the checkpoint carries more than one signature by the log key');
  const { signature } = mine[0]!;
  if (signature.length !== ED25519_SIGNATURE_BYTES) fail('the checkpoint signature is not an Ed25519 signature');
  const ok = guard('the checkpoint signature', () => s.crypto_sign_verify_detached(signature, utf8(body), key.publicKey));
  if (!ok) fail('the checkpoint signature does not verify: it was altered or forged');
  return body;
}

/**
 * Checks a signed checkpoint against a pinned verifier key: its origin must be the key's
 * name and its signature by that key must verify. Returns the tree size and root.
 */
export function verifyCheckpoint(s: Sodium, note: unknown, vkey: string): VerifiedCheckpoint {
  const key = parseLogKey(vkey);
  openNote(s, note, vkey);
  const cp = guard('the checkpoint is malformed', () => parseCheckpoint(note as string));
  if (cp.origin !== key.name) fail(`the checkpoint is for the log ${JSON.stringify(cp.origin)}, not ${JSON.stringify(key.name)}`);
  return { origin: cp.origin, size: cp.size, root: cp.root };
}
