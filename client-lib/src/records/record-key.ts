import { concat, equalBytes, u32be, utf8, uuidBytes, LABEL, KDF_CONTEXT, KEY_BYTES } from '@testimony-vault/protocol';
import { DecryptionError, WithheldError } from '../errors.ts';
import type { Sodium } from '../crypto/sodium.ts';

// [Note: sealed record keys]
// A record key is sealed (crypto_box_seal) to each reader's X25519 key. A sealed box has
// no associated data, so the context goes inside: label ‖ record id ‖ key version ‖ 32 bytes.
// Opening checks the context, so a server cannot hand one record's envelope to another
// record or another key version.
//
// [Note: redacted access]
// Since body version 2 a key version has a random 32-byte seed; crypto_kdf derives from
// it the record key (subkey 1) and the originals key (subkey 2), which wraps the file keys
// of originals kept from redacted readers. What the 32 bytes are is said by the label:
//   tvault/v1/record-key  the record key (key versions written before seeds; full access)
//   tvault/v2/record-all  the seed: the owner and full grantees
//   tvault/v2/record-key  the record key only: redacted grantees
//   tvault/v2/key-absent  32 zero bytes: a key version a redacted grantee may not open
// All four labels have 20 bytes, so every sealed key has the same length. A sealed box is
// anonymous (the server could seal one too), but only with bytes it knows: it can make a
// reader fail, never give it a key it lacks.

export type SealedKind = 'v1' | 'seed' | 'key-only' | 'absent';

const LABELS: Record<SealedKind, string> = {
  v1: LABEL.recordKeySeal,
  seed: LABEL.recordSeedSeal,
  'key-only': LABEL.recordKeyOnlySeal,
  absent: LABEL.recordKeyAbsentSeal,
};

/** What a reader holds for one key version once its sealed key is opened. */
export type RecordKeys =
  | { kind: 'v1'; recordKey: Uint8Array }
  | { kind: 'seed'; seed: Uint8Array; recordKey: Uint8Array; originalsKey: Uint8Array }
  | { kind: 'key-only'; recordKey: Uint8Array };

function context(label: string, recordId: string, keyVersion: number): Uint8Array {
  return concat(utf8(label), uuidBytes(recordId), u32be(keyVersion));
}

export function keysFromSeed(s: Sodium, seed: Uint8Array): RecordKeys {
  return {
    kind: 'seed',
    seed,
    recordKey: s.crypto_kdf_derive_from_key(KEY_BYTES, 1, KDF_CONTEXT.recordSeed, seed),
    originalsKey: s.crypto_kdf_derive_from_key(KEY_BYTES, 2, KDF_CONTEXT.recordSeed, seed),
  };
}

/** A fresh key version: a random seed and what it derives. */
export function newRecordKeys(s: Sodium): RecordKeys {
  return keysFromSeed(s, s.randombytes_buf(KEY_BYTES));
}

/** Seals what `kind` says: the seed, the record key alone, or nothing (zeros under the absent label). */
export function sealKind(s: Sodium, kind: SealedKind, secret: Uint8Array | null, recordId: string, keyVersion: number, recipientBoxPk: Uint8Array): Uint8Array {
  const payload = kind === 'absent' ? new Uint8Array(KEY_BYTES) : secret;
  if (!payload || payload.length !== KEY_BYTES) throw new RangeError('a sealed record key holds 32 bytes');
  return s.crypto_box_seal(concat(context(LABELS[kind], recordId, keyVersion), payload), recipientBoxPk);
}

/** Version-1 sealing of a bare record key (key versions without a seed). */
export function sealRecordKey(s: Sodium, key: Uint8Array, recordId: string, keyVersion: number, recipientBoxPk: Uint8Array): Uint8Array {
  return sealKind(s, 'v1', key, recordId, keyVersion, recipientBoxPk);
}

/**
 * Seals to a reader what `access` allows it of `keys`. A redacted reader gets the record key
 * of a seeded key version only: under those, every photo original is withheld from the
 * first body on. A version-1 key version withholds nothing, so it stays shut ('absent').
 */
export function sealFor(s: Sodium, keys: RecordKeys, access: 'full' | 'redacted', recordId: string, keyVersion: number, pk: Uint8Array): Uint8Array {
  if (access === 'full') {
    if (keys.kind === 'seed') return sealKind(s, 'seed', keys.seed, recordId, keyVersion, pk);
    return sealKind(s, keys.kind, keys.recordKey, recordId, keyVersion, pk);
  }
  if (keys.kind === 'v1') return sealKind(s, 'absent', null, recordId, keyVersion, pk);
  return sealKind(s, 'key-only', keys.recordKey, recordId, keyVersion, pk);
}

/** Opens a sealed key of any kind; 'absent' throws WithheldError, anything else DecryptionError. */
export function openRecordKeys(
  s: Sodium, sealed: Uint8Array, recordId: string, keyVersion: number, boxPk: Uint8Array, boxSk: Uint8Array,
): RecordKeys {
  let plain: Uint8Array;
  try {
    plain = s.crypto_box_seal_open(sealed, boxPk, boxSk);
  } catch {
    throw new DecryptionError(`record key of ${recordId}: cannot be opened with this account's key`);
  }
  for (const kind of Object.keys(LABELS) as SealedKind[]) {
    const ctx = context(LABELS[kind], recordId, keyVersion);
    if (plain.length !== ctx.length + KEY_BYTES || !equalBytes(plain.subarray(0, ctx.length), ctx)) continue;
    const secret = plain.slice(ctx.length);
    s.memzero(plain);
    if (kind === 'absent') throw new WithheldError(`record ${recordId}: key version ${keyVersion} was written before this account's redacted access began`);
    if (kind === 'seed') return keysFromSeed(s, secret);
    return { kind, recordKey: secret };
  }
  throw new DecryptionError(`record key of ${recordId}: made for another record or key version`);
}

/** The record key alone (whatever kind was sealed). */
export function openRecordKey(
  s: Sodium, sealed: Uint8Array, recordId: string, keyVersion: number, boxPk: Uint8Array, boxSk: Uint8Array,
): Uint8Array {
  const keys = openRecordKeys(s, sealed, recordId, keyVersion, boxPk, boxSk);
  if (keys.kind === 'seed') {
    s.memzero(keys.seed);
    s.memzero(keys.originalsKey);
  }
  return keys.recordKey;
}

export function zeroKeys(s: Sodium, keys: RecordKeys): void {
  s.memzero(keys.recordKey);
  if (keys.kind === 'seed') {
    s.memzero(keys.seed);
    s.memzero(keys.originalsKey);
  }
}

/** A copy the caller may zero without touching the original. */
function copyKeys(keys: RecordKeys): RecordKeys {
  if (keys.kind === 'seed') return { kind: 'seed', seed: keys.seed.slice(), recordKey: keys.recordKey.slice(), originalsKey: keys.originalsKey.slice() };
  return { kind: keys.kind, recordKey: keys.recordKey.slice() };
}

// [Note: opened keys kept for the session]
// Listing again (a search, tvault through its agent) would open every record's sealed key
// again: one X25519 operation each. An unlocked vault keeps what each sealed key it opened
// held, in memory only, by record, key version and the sealed key's exact text, and hands
// out copies; any other text is opened afresh, and every check on the version (signature,
// label and context of the sealed key at its first opening, the key kind the body names,
// rollback) is made as before. A key that failed to open, or that is withheld, is not kept.
// Logging out zeroes them.

/** Sealed keys this vault opened, by record and key version; at most MAX_KEPT. */
export class OpenedKeys {
  private static readonly MAX_KEPT = 20_000;
  private readonly kept = new Map<string, { sealed: string; keys: RecordKeys }>();

  open(s: Sodium, sealedText: string, decode: (text: string) => Uint8Array, recordId: string, keyVersion: number, boxPk: Uint8Array, boxSk: Uint8Array): RecordKeys {
    const name = `${recordId}:${keyVersion}`;
    const hit = this.kept.get(name);
    if (hit && hit.sealed === sealedText) return copyKeys(hit.keys);
    const keys = openRecordKeys(s, decode(sealedText), recordId, keyVersion, boxPk, boxSk);
    if (hit) zeroKeys(s, hit.keys);
    this.kept.delete(name);
    if (this.kept.size >= OpenedKeys.MAX_KEPT) {
      const [oldest, entry] = this.kept.entries().next().value!;
      zeroKeys(s, entry.keys);
      this.kept.delete(oldest);
    }
    this.kept.set(name, { sealed: sealedText, keys: copyKeys(keys) });
    return keys;
  }

  forget(s: Sodium): void {
    for (const { keys } of this.kept.values()) zeroKeys(s, keys);
    this.kept.clear();
  }
}

