// Merkle tree primitives of the audit log (RFC 9162 §2.1, the hashing of RFC 6962).
// Pure functions over Uint8Array: no Node built-ins, so this runs in browsers.
export { MerkleProofError } from './errors.ts';
export { emptyRootHash, hashChildren, hashLeaf } from './hash.ts';
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.ts';
export { rootFromLeaves, splitPoint, walkLeaves, type IndexedLeafHash } from './multi.ts';
