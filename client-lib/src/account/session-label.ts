import {
  fromBase64Url, fromUtf8, toBase64Url, utf8, sessionLabelAad, KDF_CONTEXT, KEY_BYTES,
  SESSION_LABEL_ENVELOPE_BYTES, SESSION_LABEL_MAX_BYTES, SESSION_LABEL_PADDED_BYTES,
} from '@testimony-vault/protocol';
import { open, seal } from '../crypto/aead.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { DecryptionError, VaultError } from '../errors.ts';

// [Note: session labels]
// The name a device gives its session ("tvault", "web", "laptop") is shown in the account's
// sessions list, and would tell a database thief which devices someone uses. So the client
// encrypts it (XChaCha20-Poly1305, key = crypto_kdf(master key, "tv-slb-1", 1)), padded to
// one size for every label, with associated data naming the account's signing key and the
// session id: the server can neither read it nor move it to another session (which then
// fails to open and is shown as unreadable, never as the name it claims).

// Control characters, line/paragraph separators and bidi overrides: never part of a name.
const NOT_PLAIN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Refuses, before anything is sent, a label that could not be stored. */
export function checkSessionLabel(label: string): void {
  if (utf8(label).length > SESSION_LABEL_MAX_BYTES || NOT_PLAIN.test(label)) {
    throw new VaultError(`a session label is at most ${SESSION_LABEL_MAX_BYTES} bytes of printable text`);
  }
}

function labelKey(s: Sodium, masterKey: Uint8Array): Uint8Array {
  return s.crypto_kdf_derive_from_key(KEY_BYTES, 1, KDF_CONTEXT.sessionLabelKey, masterKey);
}

/** The label's envelope as base64url, for PUT /v1/sessions/current/label. */
export function sealSessionLabel(s: Sodium, masterKey: Uint8Array, signPublicKey: Uint8Array, sessionId: string, label: string): string {
  checkSessionLabel(label);
  const key = labelKey(s, masterKey);
  try {
    const envelope = seal(s, key, s.pad(utf8(label), SESSION_LABEL_PADDED_BYTES), sessionLabelAad(signPublicKey, sessionId));
    return toBase64Url(envelope);
  } finally {
    s.memzero(key);
  }
}

/** Opens a session's stored label; throws DecryptionError if it was altered or moved. */
export function openSessionLabel(s: Sodium, masterKey: Uint8Array, signPublicKey: Uint8Array, sessionId: string, wire: string): string {
  let envelope: Uint8Array;
  try {
    envelope = fromBase64Url(wire);
  } catch {
    throw new DecryptionError('session label: not base64url');
  }
  if (envelope.length !== SESSION_LABEL_ENVELOPE_BYTES) throw new DecryptionError('session label: wrong size');
  const key = labelKey(s, masterKey);
  try {
    const padded = open(s, key, envelope, sessionLabelAad(signPublicKey, sessionId), 'session label');
    return fromUtf8(s.unpad(padded, SESSION_LABEL_PADDED_BYTES));
  } catch (err) {
    if (err instanceof DecryptionError) throw err;
    throw new DecryptionError('session label: not padded text');
  } finally {
    s.memzero(key);
  }
}
