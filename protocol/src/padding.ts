// [Note: padded files]
// A stored file's size is the one thing about it a seized database shows, and an exact size
// singles out a known photo or video. So a file's stream carries its bytes followed by zeros up
// to a size class: Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
// Communication with PURBs", PETS 2019). A length L is rounded up so that only the top
// ⌊log2 ⌊log2 L⌋⌋ + 1 bits of it can be non-zero: the padding is below 2^−S of the length (12.5 % at
// most, 3.1 % from 64 KiB to 4 GiB) and a size class reveals O(log log L) bits, where the exact length reveals O(log L).

/** The size a file of `size` bytes is padded to (Padmé); 0 and 1 stay as they are. */
export function padme(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('padme: size out of range');
  if (size < 2) return size;
  let e = Math.floor(Math.log2(size));
  // log2 is a float: make e exact near powers of two.
  while (2 ** e > size) e -= 1;
  while (2 ** (e + 1) <= size) e += 1;
  const s = Math.floor(Math.log2(e)) + 1;
  const unit = 2 ** (e - s);
  return Math.ceil(size / unit) * unit;
}

/** The padding scheme byte of a committed file key: 0 none, 1 Padmé. */
export const FILE_PADDING = { none: 0, padme: 1 } as const;
