// One proof for several leaves of the tree at once (docs/PROTOCOL.md "A page of a record's
// history"): the hashes of the subtrees that hold none of the leaves, which is what the
// root needs besides the leaves themselves.
import { MerkleProofError } from './errors.ts';
import { HASH_SIZE, hashChildren } from './hash.ts';

// [Note: multi-leaf proofs]
// Walk the tree of RFC 9162 §2.1.1 from the root, splitting [lo, hi) at the largest power of
// two below its length. A range that holds none of the listed leaves is not opened: its hash
// is the next element of the proof. The proof is those hashes in the order the walk meets
// them, left to right, and is what `multiLeafProof` on the server writes. Which ranges are
// closed follows from the leaf indices and the tree size alone, so a proof with one hash too
// many or too few, a leaf moved, added, left out or changed, each gives another root or a
// proof of the wrong length. A contiguous run of leaves is the special case the whole-log
// page proves with the inclusion proofs of its two ends (client-lib/src/audit/range.ts).
//
// Every listed leaf's own inclusion proof (PATH of §2.1.3.1) is a by-product of the walk:
// each sibling on its path is either a closed range (a proof hash) or a range the walk
// rebuilt. A client that checked a page this way can still write per-event proofs into an
// export that a verifier checks one event at a time.

/** Largest power of two strictly below n (n ≥ 2): where RFC 9162 splits a range. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function fail(message: string): never {
  throw new MerkleProofError(message);
}

export interface IndexedLeafHash {
  index: number;
  hash: Uint8Array;
}

/** Checks the leaves are strictly increasing indices inside the tree, with 32-byte hashes. */
function checkLeaves(leaves: readonly IndexedLeafHash[], treeSize: number): void {
  if (!Number.isSafeInteger(treeSize) || treeSize < 1) fail(`tree size must be an integer from 1 to 2^53 - 1, got ${treeSize}`);
  if (leaves.length === 0) fail('a multi-leaf proof needs at least one leaf');
  let before = -1;
  for (const [i, leaf] of leaves.entries()) {
    if (!Number.isSafeInteger(leaf.index) || leaf.index <= before) fail(`leaf ${i} (index ${leaf.index}) is not after index ${before}`);
    if (leaf.index >= treeSize) fail(`index ${leaf.index} is outside a tree of size ${treeSize}`);
    if (!(leaf.hash instanceof Uint8Array) || leaf.hash.length !== HASH_SIZE) fail(`leaf ${i} must be a ${HASH_SIZE}-byte hash`);
    before = leaf.index;
  }
}

/**
 * The walk of [Note: multi-leaf proofs] over leaves `indices` (strictly increasing) of a tree
 * of `treeSize` leaves. `closed(lo, hi)` gives the hash of a range holding none of them;
 * `leaf(k)` the hash of the k-th listed leaf; `joined` sees each rebuilt node with the leaves
 * on each side. Returns the root.
 */
export function walkLeaves<H>(
  indices: readonly number[],
  treeSize: number,
  closed: (lo: number, hi: number) => H,
  leaf: (k: number) => H,
  join: (left: H, right: H, leftLeaves: [number, number], rightLeaves: [number, number]) => H,
): H {
  const walk = (lo: number, hi: number, a: number, b: number): H => {
    if (a === b) return closed(lo, hi);
    if (hi - lo === 1) return leaf(a);
    const mid = lo + splitPoint(hi - lo);
    let m = a;
    while (m < b && indices[m]! < mid) m++;
    const l = walk(lo, mid, a, m);
    const r = walk(mid, hi, m, b);
    return join(l, r, [a, m], [m, b]);
  };
  return walk(0, treeSize, 0, indices.length);
}

/**
 * The root of the tree of `treeSize` leaves given some of its leaves (hash and index,
 * indices strictly increasing) and their multi-leaf proof; with each leaf's inclusion proof
 * (leaf upward, as verifyInclusion takes it; empty lists with `inclusionProofs: false`). Throws MerkleProofError when the arguments are
 * malformed or the proof has the wrong length. Compare the root with a signed one.
 */
export function rootFromLeaves(
  leaves: readonly IndexedLeafHash[],
  treeSize: number,
  proof: readonly Uint8Array[],
  options: { inclusionProofs?: boolean } = {},
): { root: Uint8Array; inclusionProofs: Uint8Array[][] } {
  checkLeaves(leaves, treeSize);
  if (!Array.isArray(proof)) fail('proof must be an array of hashes');
  proof.forEach((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) fail(`proof[${i}] must be a ${HASH_SIZE}-byte hash`);
  });
  // Only when asked (an export writes them): otherwise the walk rebuilds the root alone.
  const collect = options.inclusionProofs !== false;
  const inclusionProofs: Uint8Array[][] = collect ? leaves.map(() => []) : [];
  let next = 0;
  const root = walkLeaves(
    leaves.map((l) => l.index),
    treeSize,
    () => proof[next++] ?? fail('multi-leaf proof is shorter than the leaves and tree need'),
    (k) => leaves[k]!.hash,
    (l, r, [a, m], [, b]) => {
      if (collect) {
        for (let i = a; i < m; i++) inclusionProofs[i]!.push(r);
        for (let i = m; i < b; i++) inclusionProofs[i]!.push(l);
      }
      return hashChildren(l, r);
    },
  );
  if (next !== proof.length) fail('multi-leaf proof is longer than the leaves and tree need');
  return { root, inclusionProofs };
}
