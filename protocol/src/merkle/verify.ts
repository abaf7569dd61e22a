// Verification of RFC 9162 §2.1.3.2 inclusion and §2.1.4.2 consistency proofs.
import { MerkleProofError } from './errors.ts';
import { HASH_SIZE, hashChildren } from './hash.ts';

// [Note: walking the tree by position]
// Both verifiers follow two node positions up the tree, one level per step:
// `fn`, the node whose hash is being rebuilt, and `sn`, the last node of the
// tree at that level. A proof element is the sibling of `fn`; whether it goes
// on the left or on the right follows from the parity of `fn`. When fn == sn
// and fn is even, the node is on the right edge and has no sibling: its parent
// in an unbalanced tree is the node itself, so it climbs without using a proof
// element. The proof has the right length exactly when sn reaches 0 as the last
// element is used.
//
// Sizes may be anything up to 2^53 - 1, so positions are halved with
// arithmetic: JavaScript's bit operators would truncate them to 32 bits.

const half = (x: number): number => Math.floor(x / 2);
const isOdd = (x: number): boolean => x % 2 === 1;

function fail(message: string): never {
  throw new MerkleProofError(message);
}

function checkCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    fail(`${what} must be an integer from 0 to 2^53 - 1, got ${value}`);
  }
}

function checkHash(what: string, hash: Uint8Array): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    fail(`${what} must be a ${HASH_SIZE}-byte hash`);
  }
}

function checkProofHashes(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) fail('proof must be an array of hashes');
  proof.forEach((hash, i) => checkHash(`proof[${i}]`, hash));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}

/**
 * The root that `proof` yields for the leaf at `index` in a tree of `treeSize`
 * leaves. Throws MerkleProofError if the arguments are malformed or the proof
 * has the wrong length for that position.
 */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkCount('index', index);
  checkCount('tree size', treeSize);
  if (index >= treeSize) fail(`index ${index} is outside a tree of size ${treeSize}`);
  checkHash('leaf hash', leafHash);
  checkProofHashes(proof);

  // See [Note: walking the tree by position].
  let fn = index;
  let sn = treeSize - 1;
  let hash = leafHash;
  for (const sibling of proof) {
    if (sn === 0) fail(`inclusion proof is longer than the ${treeSize}-leaf tree needs`);
    if (isOdd(fn) || fn === sn) {
      hash = hashChildren(sibling, hash);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      hash = hashChildren(hash, sibling);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) fail(`inclusion proof is shorter than the ${treeSize}-leaf tree needs`);
  return hash === leafHash ? leafHash.slice() : hash;
}

/**
 * Checks that `proof` shows the leaf with hash `leafHash` at `index` in the
 * tree of `treeSize` leaves whose root is `root`; throws MerkleProofError if
 * it does not. The proof does not authenticate `treeSize`: take the size from
 * the same signed tree head as the root.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash('root', root);
  const computed = rootFromInclusionProof(leafHash, index, treeSize, proof);
  if (!equalBytes(computed, root)) fail('inclusion proof does not lead to the expected root');
}

/**
 * Checks that the tree of `size2` leaves with root `root2` is an append-only
 * extension of the tree of `size1` leaves with root `root1`; throws
 * MerkleProofError if the proof does not show it.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkCount('size1', size1);
  checkCount('size2', size2);
  checkHash('root1', root1);
  checkHash('root2', root2);
  checkProofHashes(proof);
  if (size1 > size2) fail(`size1 ${size1} is larger than size2 ${size2}`);

  if (size1 === size2) {
    if (proof.length !== 0) fail('consistency proof between equal sizes must be empty');
    if (!equalBytes(root1, root2)) fail('roots of the same tree size differ');
    return;
  }
  // Every tree extends the empty tree; there is nothing to prove.
  if (size1 === 0) {
    if (proof.length !== 0) fail('consistency proof from the empty tree must be empty');
    return;
  }
  if (proof.length === 0) fail('consistency proof is empty');

  // The proof leaves out the old root when it is a complete subtree of the new
  // tree (size1 a power of two), since the verifier already holds it.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  const [first, ...rest] = path;
  if (first === undefined) fail('consistency proof is empty');

  // See [Note: walking the tree by position]. The walk starts at the largest
  // complete subtree that ends the old tree, whose hash is the first element:
  // the levels below it are the same in both trees and need no proof.
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let oldHash = first;
  let newHash = first;
  for (const node of rest) {
    if (sn === 0) fail('consistency proof is longer than the trees need');
    if (isOdd(fn) || fn === sn) {
      // A left sibling lies inside the old tree, so it contributes to both roots.
      oldHash = hashChildren(node, oldHash);
      newHash = hashChildren(node, newHash);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // A right sibling holds only entries appended after size1.
      newHash = hashChildren(newHash, node);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) fail('consistency proof is shorter than the trees need');
  if (!equalBytes(oldHash, root1)) fail('consistency proof does not lead to root1');
  if (!equalBytes(newHash, root2)) fail('consistency proof does not lead to root2');
}
