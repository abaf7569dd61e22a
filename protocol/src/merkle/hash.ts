// The only importer of a hash function in the Merkle code (RFC 9162 §2.1.1).
import { sha256 } from '@noble/hashes/sha2.js';

/** Every node of the tree is a SHA-256 digest. */
export const HASH_SIZE = 32;

// Domain separation between leaves and interior nodes, so that a leaf can never
// be passed off as the parent of two nodes (second-preimage defence of RFC 6962).
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** SHA-256(0x00 || data): the hash of one log entry. */
export function hashLeaf(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256(input);
}

/** SHA-256(0x01 || left || right): the hash of an interior node. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** The root of the tree with no entries: SHA-256 of the empty string. */
export function emptyRootHash(): Uint8Array {
  return sha256(new Uint8Array(0));
}
