/**
 * Thrown for every rejected Merkle proof: malformed sizes or indices, hashes of
 * the wrong length, a proof of the wrong length, or a root that does not match.
 * One class on purpose: to a caller all of these mean "the log did not prove
 * what it claimed", and the message says which check failed.
 */
export class MerkleProofError extends Error {
  override readonly name = 'MerkleProofError';
  readonly code = 'VAULT_ERR_MERKLE_PROOF';
}
