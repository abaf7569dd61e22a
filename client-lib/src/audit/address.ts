// An audit event's client address, checked against the commitment in its leaf
// ([Note: audit addresses] in protocol/src/audit.ts; docs/PROTOCOL.md "Audit addresses").
import { auditAddressMatches, decodeAuditEvent } from '@testimony-vault/protocol';
import { hashLeaf, verifyInclusion } from '@testimony-vault/protocol/merkle';
import type { Http } from '../api/http.ts';
import type { VerifiedCheckpoint } from './checkpoint.ts';
import { bytesFrom, proofFrom } from './events.ts';
import { fail, guard } from './fail.ts';

export interface AuditAddress {
  index: number;
  /**
   * kept: the server gave the address and it is the one the leaf committed to.
   * erased: the leaf committed to an address that the server no longer keeps (its
   *   retention time ended); the leaf verifies all the same.
   * none: no address was recorded for the event.
   * in-leaf: an event written before addresses were committed to, its address in the leaf.
   */
  state: 'kept' | 'erased' | 'none' | 'in-leaf';
  address: string | null;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Fetches event `index`, proves it in `tree`, and checks the address the server gives against its leaf. */
export async function provenAddress(http: Http, tree: VerifiedCheckpoint, index: number): Promise<AuditAddress> {
  const res = await http.json<unknown>('GET', `/v1/audit/events/${index}/address?size=${tree.size}`);
  if (!isObject(res)) fail(`the server's answer about the address of event ${index} is not an object`);
  const leaf = bytesFrom(res.leaf, `event ${index}'s leaf`);
  const proof = proofFrom(res.proof, `event ${index}'s inclusion proof`);
  const event = guard(`event ${index} is not an audit event`, () => decodeAuditEvent(leaf));
  if (event.index !== index) fail(`the server answered event ${event.index} when asked for event ${index}`);
  guard(`event ${index} is not in the signed log of size ${tree.size}`, () => verifyInclusion(hashLeaf(leaf), index, tree.size, proof, tree.root));
  const { address, opening } = res;
  if (address === null && opening === null) {
    if (event.addressCommitment !== undefined) return { index, state: 'erased', address: null };
    return event.ip === null ? { index, state: 'none', address: null } : { index, state: 'in-leaf', address: event.ip };
  }
  if (typeof address !== 'string' || event.addressCommitment === undefined) fail(`the server gives event ${index} an address its leaf does not commit to`);
  const matches = auditAddressMatches(event, address, bytesFrom(opening, `event ${index}'s address opening`));
  if (!matches) fail(`the address the server gives for event ${index} is not the one its leaf committed to: it was changed`);
  return { index, state: 'kept', address };
}
