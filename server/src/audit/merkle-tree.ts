// Builds the roots and proofs of RFC 9162 §2.1 (MTH, PATH, PROOF/SUBPROOF)
// that the client checks with @testimony-vault/protocol/merkle (protocol/src/merkle/).
import { emptyRootHash, hashChildren, walkLeaves } from '@testimony-vault/protocol/merkle';

/**
 * The leaf hashes of a tree, in log order, read through an accessor so that a
 * store can serve them without loading the whole log.
 */
export interface LeafHashSource {
  readonly size: number;
  leafHash(index: number): Uint8Array;
  /**
   * Optional hash of the subtree over leaves [start, end), or undefined to have
   * it computed. See [Note: subtree hashes].
   */
  storedSubtreeHash?(start: number, end: number): Uint8Array | undefined;
}

export type LeafHashes = readonly Uint8Array[] | LeafHashSource;

// [Note: subtree hashes]
// Every root and every proof element is the hash of a range of leaves
// [start, end), and all of them are computed by `subtreeHash` alone. Computing
// from the leaves costs O(end - start). A range whose length is a power of two
// and whose start is a multiple of that length is a complete subtree: its hash
// never changes once the log has grown past it, so a store can keep those and
// answer `storedSubtreeHash`, which brings a proof down to O(log n) hash reads.

function asSource(leaves: LeafHashes): LeafHashSource {
  if ('leafHash' in leaves) {
    checkCount('tree size', leaves.size);
    return leaves;
  }
  return {
    size: leaves.length,
    leafHash(index) {
      const hash = leaves[index];
      if (hash === undefined) throw new RangeError(`no leaf hash at index ${index}`);
      return hash;
    },
  };
}

function checkCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be an integer from 0 to 2^53 - 1, got ${value}`);
  }
}

/** The largest power of two strictly below n (n >= 2): where RFC 9162 splits a tree. */
function splitPoint(n: number): number {
  // Arithmetic rather than bit shifts, which would truncate sizes above 2^31.
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[start:end]) for a non-empty range. */
function subtreeHash(source: LeafHashSource, start: number, end: number): Uint8Array {
  const stored = source.storedSubtreeHash?.(start, end);
  if (stored !== undefined) return stored;
  if (end - start === 1) return source.leafHash(start);
  const mid = start + splitPoint(end - start);
  return hashChildren(subtreeHash(source, start, mid), subtreeHash(source, mid, end));
}

/** The root hash (MTH) of the tree. */
export function rootHash(leaves: LeafHashes): Uint8Array {
  const source = asSource(leaves);
  return source.size === 0 ? emptyRootHash() : subtreeHash(source, 0, source.size);
}

/** PATH(index, D[n]): the siblings on the way from the leaf to the root, leaf first. */
export function inclusionProof(index: number, leaves: LeafHashes): Uint8Array[] {
  const source = asSource(leaves);
  checkCount('index', index);
  if (index >= source.size) {
    throw new RangeError(`index ${index} is outside a tree of size ${source.size}`);
  }
  const proof: Uint8Array[] = [];
  appendPath(source, index, 0, source.size, proof);
  return proof;
}

function appendPath(
  source: LeafHashSource,
  index: number,
  start: number,
  end: number,
  proof: Uint8Array[],
): void {
  if (end - start === 1) return;
  const mid = start + splitPoint(end - start);
  // Recurse first: the deeper siblings come before the shallower ones.
  if (index < mid) {
    appendPath(source, index, start, mid, proof);
    proof.push(subtreeHash(source, mid, end));
  } else {
    appendPath(source, index, mid, end, proof);
    proof.push(subtreeHash(source, start, mid));
  }
}

/**
 * PROOF(size1, D[n]) with n = the current size: shows that the tree of the
 * first size1 leaves is a prefix of the current tree. Empty when size1 is 0
 * or n, as RFC 9162 §2.1.4 requires.
 */
export function consistencyProof(size1: number, leaves: LeafHashes): Uint8Array[] {
  const source = asSource(leaves);
  checkCount('size1', size1);
  if (size1 > source.size) {
    throw new RangeError(`size1 ${size1} is larger than the tree size ${source.size}`);
  }
  const proof: Uint8Array[] = [];
  if (size1 === 0 || size1 === source.size) return proof;
  appendSubproof(source, size1, 0, source.size, true, proof);
  return proof;
}

/**
 * SUBPROOF for the old tree [0, oldEnd) within D[start:end]. `holdsOldRoot`
 * is RFC 9162's flag b: whether this range is still on the path of the old
 * root, whose hash the verifier already has and the proof must omit.
 */
function appendSubproof(
  source: LeafHashSource,
  oldEnd: number,
  start: number,
  end: number,
  holdsOldRoot: boolean,
  proof: Uint8Array[],
): void {
  if (oldEnd === end) {
    if (!holdsOldRoot) proof.push(subtreeHash(source, start, end));
    return;
  }
  const mid = start + splitPoint(end - start);
  if (oldEnd <= mid) {
    appendSubproof(source, oldEnd, start, mid, holdsOldRoot, proof);
    proof.push(subtreeHash(source, mid, end));
  } else {
    // The left half is complete in both trees; only the right half changed.
    appendSubproof(source, oldEnd, mid, end, false, proof);
    proof.push(subtreeHash(source, start, mid));
  }
}

/**
 * The multi-leaf proof of the leaves at `indices` (strictly increasing): the hashes of the
 * ranges that hold none of them, in the order the walk of [Note: multi-leaf proofs]
 * (protocol/src/merkle/multi.ts) meets them; what the client's rootFromLeaves takes.
 */
export function multiLeafProof(indices: readonly number[], leaves: LeafHashes): Uint8Array[] {
  const source = asSource(leaves);
  if (indices.length === 0) throw new RangeError('a multi-leaf proof needs at least one leaf');
  indices.forEach((index, i) => {
    checkCount('index', index);
    if (index >= source.size) throw new RangeError(`index ${index} is outside a tree of size ${source.size}`);
    if (i > 0 && index <= indices[i - 1]!) throw new RangeError('indices must strictly increase');
  });
  const proof: Uint8Array[] = [];
  walkLeaves(
    indices,
    source.size,
    (lo, hi) => void proof.push(subtreeHash(source, lo, hi)),
    () => undefined,
    () => undefined,
  );
  return proof;
}
