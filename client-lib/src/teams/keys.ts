import {
  KEY_BYTES, caseKeyCommitInput, caseKeyLinkAad, caseKeyShareContext, caseKeyWrapAad, concat, equalBytes, teamKeyCommitInput, teamKeyContext,
  teamRecordKeyAad,
} from '@testimony-vault/protocol';
import { open, seal } from '../crypto/aead.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { DecryptionError, IntegrityError } from '../errors.ts';

// [Note: team keys are committed to]
// A sealed box is anonymous: a server can seal a key of its own making to any member. Every
// team and case key epoch is therefore committed to (BLAKE2b, crypto_generichash) in the
// signed statement that starts it, and a key that opens but does not match its commitment is
// refused: a member never writes under a key the server could know (docs/PROTOCOL.md "Teams").

export const teamKeyCommitment = (s: Sodium, team: string, epoch: number, key: Uint8Array) =>
  s.crypto_generichash(32, teamKeyCommitInput(team, epoch, key), null);

export const caseKeyCommitment = (s: Sodium, team: string, caseId: string, caseEpoch: number, key: Uint8Array) =>
  s.crypto_generichash(32, caseKeyCommitInput(team, caseId, caseEpoch, key), null);

export const newKey = (s: Sodium) => s.crypto_aead_xchacha20poly1305_ietf_keygen();

function openSealedWith(s: Sodium, sealed: Uint8Array, context: Uint8Array, boxPk: Uint8Array, boxSk: Uint8Array, what: string): Uint8Array {
  let plain: Uint8Array;
  try {
    plain = s.crypto_box_seal_open(sealed, boxPk, boxSk);
  } catch {
    throw new DecryptionError(`${what}: cannot be opened with this account's key`);
  }
  if (plain.length !== context.length + KEY_BYTES || !equalBytes(plain.subarray(0, context.length), context)) {
    s.memzero(plain);
    throw new DecryptionError(`${what}: made for another team, case or epoch`);
  }
  const key = plain.slice(context.length);
  s.memzero(plain);
  return key;
}

function requireCommitment(s: Sodium, key: Uint8Array, commitment: Uint8Array, actual: Uint8Array, what: string): Uint8Array {
  if (!equalBytes(actual, commitment)) {
    s.memzero(key);
    throw new IntegrityError(`${what} is not the key the signed chain committed to`);
  }
  return key;
}

export function sealTeamKey(s: Sodium, team: string, epoch: number, key: Uint8Array, boxPk: Uint8Array): Uint8Array {
  return s.crypto_box_seal(concat(teamKeyContext(team, epoch), key), boxPk);
}

export function openTeamKey(s: Sodium, team: string, epoch: number, sealed: Uint8Array, commitment: Uint8Array, boxPk: Uint8Array, boxSk: Uint8Array): Uint8Array {
  const what = `team key ${epoch} of ${team}`;
  const key = openSealedWith(s, sealed, teamKeyContext(team, epoch), boxPk, boxSk, what);
  return requireCommitment(s, key, commitment, teamKeyCommitment(s, team, epoch, key), what);
}

export function wrapCaseKey(s: Sodium, teamKey: Uint8Array, team: string, caseId: string, caseEpoch: number, teamEpoch: number, key: Uint8Array): Uint8Array {
  return seal(s, teamKey, key, caseKeyWrapAad(team, caseId, caseEpoch, teamEpoch));
}

export function unwrapCaseKey(
  s: Sodium, teamKey: Uint8Array, team: string, caseId: string, caseEpoch: number, teamEpoch: number, wrapped: Uint8Array, commitment: Uint8Array,
): Uint8Array {
  const what = `case key ${caseId}#${caseEpoch}`;
  const key = open(s, teamKey, wrapped, caseKeyWrapAad(team, caseId, caseEpoch, teamEpoch), what);
  if (key.length !== KEY_BYTES) throw new DecryptionError(`${what}: not a key`);
  return requireCommitment(s, key, commitment, caseKeyCommitment(s, team, caseId, caseEpoch, key), what);
}

// [Note: case key links]
// Each new epoch of a case key wraps the key of the epoch before it, so whoever holds a
// case's newest key walks back to every older one: a removal wraps only each case's new key
// under the new team key (not every epoch again), a member added later reads the oldest
// records, and a reviewer is sealed the current key only. A link goes from newer to older
// only, so a key held before a rotation opens nothing after it. Each key reached by a link is
// checked against its signed commitment, as every other key is.

export function wrapCaseKeyLink(s: Sodium, newerKey: Uint8Array, team: string, caseId: string, newerEpoch: number, olderKey: Uint8Array): Uint8Array {
  return seal(s, newerKey, olderKey, caseKeyLinkAad(team, caseId, newerEpoch));
}

/** Epoch `newerEpoch − 1`'s key, from its link under epoch `newerEpoch`'s key, checked against its commitment. */
export function unwrapCaseKeyLink(
  s: Sodium, newerKey: Uint8Array, team: string, caseId: string, newerEpoch: number, wrapped: Uint8Array, commitment: Uint8Array,
): Uint8Array {
  const what = `case key ${caseId}#${newerEpoch - 1} (linked from #${newerEpoch})`;
  const key = open(s, newerKey, wrapped, caseKeyLinkAad(team, caseId, newerEpoch), what);
  if (key.length !== KEY_BYTES) throw new DecryptionError(`${what}: not a key`);
  return requireCommitment(s, key, commitment, caseKeyCommitment(s, team, caseId, newerEpoch - 1, key), what);
}

export function shareCaseKey(s: Sodium, team: string, caseId: string, caseEpoch: number, key: Uint8Array, boxPk: Uint8Array): Uint8Array {
  return s.crypto_box_seal(concat(caseKeyShareContext(team, caseId, caseEpoch), key), boxPk);
}

export function openSharedCaseKey(
  s: Sodium, team: string, caseId: string, caseEpoch: number, sealed: Uint8Array, commitment: Uint8Array, boxPk: Uint8Array, boxSk: Uint8Array,
): Uint8Array {
  const what = `shared case key ${caseId}#${caseEpoch}`;
  const key = openSealedWith(s, sealed, caseKeyShareContext(team, caseId, caseEpoch), boxPk, boxSk, what);
  return requireCommitment(s, key, commitment, caseKeyCommitment(s, team, caseId, caseEpoch, key), what);
}

export function wrapRecordKey(s: Sodium, caseKey: Uint8Array, team: string, caseId: string, recordId: string, version: number, caseEpoch: number, key: Uint8Array): Uint8Array {
  return seal(s, caseKey, key, teamRecordKeyAad(team, caseId, recordId, version, caseEpoch));
}

export function unwrapRecordKey(s: Sodium, caseKey: Uint8Array, team: string, caseId: string, recordId: string, version: number, caseEpoch: number, wrapped: Uint8Array): Uint8Array {
  return open(s, caseKey, wrapped, teamRecordKeyAad(team, caseId, recordId, version, caseEpoch), `record key of team record ${recordId} v${version}`);
}
