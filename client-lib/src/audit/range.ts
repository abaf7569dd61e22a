// A run of consecutive leaves proven against a signed root with two inclusion proofs: the
// first leaf's and the last one's (docs/PROTOCOL.md "A page of the whole log").
import { hashChildren, splitPoint, walkLeaves } from '@testimony-vault/protocol/merkle';
import { fail } from './fail.ts';

// [Note: proving a page of the log]
// An administrator's page is every leaf from index `first` to `last`. Rebuilding the root of
// the RFC 6962 tree over those leaves needs, outside the run, only the subtrees to its left
// and to its right; those are siblings on the path of the first leaf (left side) and of the
// last leaf (right side), so the two inclusion proofs hold all of them. Any leaf of the run
// changed, missing, added or moved gives another root. Two proofs a page instead of one a
// leaf: a page of 100 events costs 2 proof queries on the server, not 100. The root is
// rebuilt by the walk of [Note: multi-leaf proofs] (protocol/src/merkle/multi.ts), with the
// closed ranges taken from the two proofs instead of a proof of their own.

/** The ranges [lo, hi) of the siblings on leaf `index`'s path, leaf first (as its proof lists them). */
function siblingRanges(index: number, treeSize: number): [number, number][] {
  const out: [number, number][] = [];
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const mid = lo + splitPoint(hi - lo);
    if (index < mid) {
      out.push([mid, hi]);
      hi = mid;
    } else {
      out.push([lo, mid]);
      lo = mid;
    }
  }
  return out.reverse();
}

/**
 * The root of the tree of `treeSize` leaves given the hashes of its leaves `first` ..
 * `first + leafHashes.length - 1` and the inclusion proofs of the first and the last of
 * them in that tree. Throws AuditLogError when a proof is too short or too long.
 */
export function rootFromRange(leafHashes: readonly Uint8Array[], first: number, treeSize: number, firstProof: readonly Uint8Array[], lastProof: readonly Uint8Array[]): Uint8Array {
  const end = first + leafHashes.length;
  if (leafHashes.length === 0 || first < 0 || end > treeSize) fail(`a page of leaves ${first} to ${end - 1} is not within a log of ${treeSize} events`);
  const known = new Map<string, Uint8Array>();
  const learn = (index: number, proof: readonly Uint8Array[], what: string) => {
    const ranges = siblingRanges(index, treeSize);
    if (proof.length < ranges.length) fail(`the inclusion proof of the page's ${what} event is too short`);
    if (proof.length > ranges.length) fail("an inclusion proof of the page's ends is longer than the tree needs");
    ranges.forEach(([lo, hi], i) => known.set(`${lo}:${hi}`, proof[i]!));
  };
  learn(first, firstProof, 'first');
  learn(end - 1, lastProof, 'last');
  return walkLeaves(
    leafHashes.map((_, i) => first + i),
    treeSize,
    // A range outside a contiguous run is a sibling on the path of one of its ends.
    (lo, hi) => known.get(`${lo}:${hi}`) ?? fail(`the page's inclusion proofs miss the subtree of leaves ${lo} to ${hi - 1}`),
    (k) => leafHashes[k]!,
    (l, r) => hashChildren(l, r),
  );
}
