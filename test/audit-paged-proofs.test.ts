// Multi-leaf proofs (protocol/src/merkle/multi.ts, [Note: multi-leaf proofs]): the server's
// proof for any set of leaves of any tree rebuilds its root on the client, gives each leaf
// the inclusion proof the server would, and every altered proof, leaf or index fails.
import t from 'tap';
import { createHash } from 'node:crypto';
import { MerkleProofError, rootFromLeaves, verifyInclusion } from '@testimony-vault/protocol/merkle';
import { inclusionProof, multiLeafProof, rootHash } from '../server/src/audit/merkle-tree.ts';

const leafOf = (i: number) => new Uint8Array(createHash('sha256').update(`leaf ${i}`).digest());
const tree = (n: number) => Array.from({ length: n }, (_, i) => leafOf(i));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const flipped = (b: Uint8Array) => {
  const c = b.slice();
  c[0]! ^= 1;
  return c;
};

/** A few index sets of a tree of n leaves: one leaf, ends, spread, dense, every leaf. */
function subsets(n: number): number[][] {
  const out: number[][] = [[0], [n - 1], Array.from({ length: n }, (_, i) => i)];
  if (n > 2) out.push([0, n - 1], [1, Math.floor(n / 2) + 1], Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === 1));
  return out;
}

t.test("the server's proof rebuilds the root and each leaf's inclusion proof", async (t) => {
  let checked = 0;
  for (let n = 1; n <= 40; n++) {
    const leaves = tree(n);
    const root = rootHash(leaves);
    for (const indices of subsets(n)) {
      const proof = multiLeafProof(indices, leaves);
      const got = rootFromLeaves(indices.map((index) => ({ index, hash: leaves[index]! })), n, proof);
      if (hex(got.root) !== hex(root)) t.fail(`tree ${n}, leaves ${indices}: another root`);
      indices.forEach((index, k) => {
        if (got.inclusionProofs[k]!.map(hex).join() !== inclusionProof(index, leaves).map(hex).join()) t.fail(`tree ${n}, leaf ${index}: another inclusion proof`);
        verifyInclusion(leaves[index]!, index, n, got.inclusionProofs[k]!, root);
      });
      checked++;
    }
  }
  t.ok(checked > 200, `${checked} trees and leaf sets agree`);
});

// The tree size is not a lie a proof can catch (like an inclusion proof's, it is taken from
// the signed checkpoint with the root); the client compares the page's size with it.
t.test('every lie fails: a leaf changed, left out, added or moved; a proof hash changed, dropped or added', async (t) => {
  for (const n of [2, 3, 7, 8, 13, 33]) {
    const leaves = tree(n);
    const root = hex(rootHash(leaves));
    for (const indices of subsets(n)) {
      const given = indices.map((index) => ({ index, hash: leaves[index]! }));
      const proof = multiLeafProof(indices, leaves);
      const lies: [string, () => { root: Uint8Array }][] = [];
      given.forEach((_, k) => lies.push([`leaf ${k} changed`, () => rootFromLeaves(given.map((g, j) => (j === k ? { ...g, hash: flipped(g.hash) } : g)), n, proof)]));
      proof.forEach((_, k) => lies.push([`proof hash ${k} changed`, () => rootFromLeaves(given, n, proof.map((p, j) => (j === k ? flipped(p) : p)))]));
      if (proof.length > 0) lies.push(['a proof hash dropped', () => rootFromLeaves(given, n, proof.slice(1))]);
      lies.push(['a proof hash added', () => rootFromLeaves(given, n, [...proof, leaves[0]!])]);
      if (given.length > 1) lies.push(['a leaf left out', () => rootFromLeaves(given.slice(1), n, proof)]);
      lies.push(['a leaf moved by one', () => rootFromLeaves(given.map((g, j) => (j === given.length - 1 ? { ...g, index: g.index + 1 } : g)), n, proof)]);
      for (const [what, lie] of lies) {
        let outcome = 'accepted';
        try {
          outcome = hex(lie().root) === root ? 'accepted' : 'another root';
        } catch (err) {
          outcome = err instanceof MerkleProofError ? 'refused' : `threw ${String(err)}`;
        }
        if (outcome === 'accepted' || outcome.startsWith('threw')) t.fail(`tree ${n}, leaves ${indices}: ${what} ${outcome}`);
      }
    }
  }
  t.pass('no lie was accepted');
});

t.test('malformed input is refused with MerkleProofError', async (t) => {
  const leaves = tree(5);
  const proof = multiLeafProof([1, 3], leaves);
  const two = [{ index: 1, hash: leaves[1]! }, { index: 3, hash: leaves[3]! }];
  t.throws(() => rootFromLeaves([], 5, []), MerkleProofError, 'no leaves');
  t.throws(() => rootFromLeaves([two[1]!, two[0]!], 5, proof), MerkleProofError, 'out of order');
  t.throws(() => rootFromLeaves([two[0]!, two[0]!], 5, proof), MerkleProofError, 'the same leaf twice');
  t.throws(() => rootFromLeaves([{ index: 5, hash: leaves[4]! }], 5, proof), MerkleProofError, 'outside the tree');
  t.throws(() => rootFromLeaves(two, 0, proof), MerkleProofError, 'an empty tree');
  t.throws(() => rootFromLeaves([{ index: 1, hash: new Uint8Array(31) }], 5, proof), MerkleProofError, 'a short hash');
  t.throws(() => rootFromLeaves(two, 5, [new Uint8Array(31), ...proof.slice(1)]), MerkleProofError, 'a short proof hash');
});
