import { concat, equalBytes, u32be, utf8, uuidBytes, LABEL, KEY_BYTES } from '@testimony-vault/protocol';
import { DecryptionError } from '../errors.ts';
import type { Sodium } from '../crypto/sodium.ts';

// [Note: sealed record keys]
// A record key is sealed (crypto_box_seal) to each reader's X25519 key. A sealed box has
// no associated data, so the context goes inside: label ‖ record id ‖ key version ‖ key.
// Opening checks the context, so a server cannot hand one record's envelope to another
// record or another key version.

function context(recordId: string, keyVersion: number): Uint8Array {
  return concat(utf8(LABEL.recordKeySeal), uuidBytes(recordId), u32be(keyVersion));
}

export function sealRecordKey(s: Sodium, key: Uint8Array, recordId: string, keyVersion: number, recipientBoxPk: Uint8Array): Uint8Array {
  return s.crypto_box_seal(concat(context(recordId, keyVersion), key), recipientBoxPk);
}

export function openRecordKey(
  s: Sodium, sealed: Uint8Array, recordId: string, keyVersion: number, boxPk: Uint8Array, boxSk: Uint8Array,
): Uint8Array {
  let plain: Uint8Array;
  try {
    plain = s.crypto_box_seal_open(sealed, boxPk, boxSk);
  } catch {
    throw new DecryptionError(`record key of ${recordId}: cannot be opened with this account's key`);
  }
  const ctx = context(recordId, keyVersion);
  if (plain.length !== ctx.length + KEY_BYTES || !equalBytes(plain.subarray(0, ctx.length), ctx)) {
    throw new DecryptionError(`record key of ${recordId}: made for another record or key version`);
  }
  return plain.slice(ctx.length);
}
