import { RECORD_PAD_FLOOR } from '@testimony-vault/protocol';

/**
 * Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
 * Communication with PURBs", PETS 2019): rounds a length L up so that only the top
 * O(log log L) bits stay significant. Overhead is at most 12%, and a ciphertext length
 * reveals about log2(log2(L)) bits of the plaintext length. Computed with arithmetic,
 * not bit operators, so it is exact for any safe integer.
 */
export function padme(length: number): number {
  if (length <= 2) return length;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const unit = 2 ** (e - s);
  return Math.ceil(length / unit) * unit;
}

/** The padded size of a body of `length` bytes: at least one byte of padding, never below the floor. */
export function paddedLength(length: number): number {
  return Math.max(RECORD_PAD_FLOOR, padme(length + 1));
}
