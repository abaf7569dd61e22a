// A run of consecutive leaves proven against a signed root with two inclusion proofs: the
// first leaf's and the last one's (docs/PROTOCOL.md "A page of the whole log").
import { hashChildren } from '@testimony-vault/protocol/merkle';
import { fail } from './fail.ts';

// [Note: proving a page of the log]
// An administrator's page is every leaf from index `first` to `last`. Rebuilding the root of
// the RFC 6962 tree over those leaves needs, outside the run, only the subtrees to its left
// and to its right; those are siblings on the path of the first leaf (left side) and of the
// last leaf (right side), so the two inclusion proofs hold all of them. Any leaf of the run
// changed, missing, added or moved gives another root. Two proofs a page instead of one a
// leaf: a page of 100 events costs 2 proof queries on the server, not 100.

/** Largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The proof's hashes from the root down (an inclusion proof lists them from the leaf up). */
function topDown(proof: readonly Uint8Array[]): Uint8Array[] {
  return [...proof].reverse();
}

/**
 * The root of the tree of `treeSize` leaves given the hashes of its leaves `first` ..
 * `first + leafHashes.length - 1` and the inclusion proofs of the first and the last of
 * them in that tree. Throws AuditLogError when a proof is too short or too long.
 */
export function rootFromRange(leafHashes: readonly Uint8Array[], first: number, treeSize: number, firstProof: readonly Uint8Array[], lastProof: readonly Uint8Array[]): Uint8Array {
  const end = first + leafHashes.length;
  if (leafHashes.length === 0 || first < 0 || end > treeSize) fail(`a page of leaves ${first} to ${end - 1} is not within a log of ${treeSize} events`);
  const left = topDown(firstProof);
  const right = topDown(lastProof);
  const take = (from: Uint8Array[], what: string): Uint8Array => from.shift() ?? fail(`the inclusion proof of the page's ${what} event is too short`);

  // The hash of the subtree of leaves lo .. hi-1, which overlaps the page.
  const node = (lo: number, hi: number): Uint8Array => {
    if (hi - lo === 1) return leafHashes[lo - first]!;
    const mid = lo + splitPoint(hi - lo);
    // Each proof gives one hash per split on its leaf's path: the other side's subtree.
    const onFirstPath = first >= lo && first < hi;
    const onLastPath = end - 1 >= lo && end - 1 < hi;
    const fromFirst = onFirstPath ? take(left, 'first') : undefined;
    const fromLast = onLastPath ? take(right, 'last') : undefined;
    const l = first >= mid ? fromFirst! : node(lo, mid);
    const r = end <= mid ? fromLast! : node(mid, hi);
    return hashChildren(l, r);
  };

  const root = node(0, treeSize);
  if (left.length > 0 || right.length > 0) fail("an inclusion proof of the page's ends is longer than the tree needs");
  return root;
}
