import {
  TEAM_STATEMENT_CLOCK_WINDOW_MS, caseEpochAt, equalBytes, fromBase64Url, fromUtf8, headSeq, memberAt, teamRecordBodyAad, teamRecordVersionStatement, utf8,
  type TeamState,
} from '@testimony-vault/protocol';
import type { WireIdentity } from '../api/wire.ts';
import { identityFromWire } from '../account/session.ts';
import { open, seal } from '../crypto/aead.ts';
import { fingerprint, verifyIdentity } from '../crypto/identity.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { IntegrityError, SignatureError } from '../errors.ts';
import { validateFields } from '../records/body.ts';
import { paddedLength } from '../records/padding.ts';
import type { RecordFields } from '../records/types.ts';
import { unwrapRecordKey, wrapRecordKey } from './keys.ts';

export interface WireTeamRecord {
  id: string;
  teamId: string;
  caseId: string;
  version: number;
  latestVersion: number;
  caseEpoch: number;
  chainSeq: number;
  chainHead: string;
  wrappedKey: string;
  body: string;
  signature: string;
  author: WireIdentity;
}

/** A team record's version, verified and decrypted. */
export interface TeamRecord {
  id: string;
  teamId: string;
  caseId: string;
  version: number;
  latestVersion: number;
  caseEpoch: number;
  /** The chain statement the author had verified when writing. */
  chainSeq: number;
  author: { handle: string; fingerprint: string };
  fields: RecordFields;
  createdAt: Date;
  writtenAt: Date;
}

interface TeamRecordBody {
  v: 1;
  fields: RecordFields;
  createdAt: string;
  writtenAt: string;
}

function bytes(text: string, what: string): Uint8Array {
  try {
    return fromBase64Url(text);
  } catch {
    throw new IntegrityError(`${what} is not base64url`);
  }
}

export interface Sealing {
  team: string;
  caseId: string;
  recordId: string;
  version: number;
  caseEpoch: number;
  chain: TeamState;
}

/** Encrypts and signs one version under a fresh record key wrapped under the case key. */
export function sealTeamRecord(s: Sodium, caseKey: Uint8Array, signSecretKey: Uint8Array, at: Sealing, body: TeamRecordBody) {
  const recordKey = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  const json = utf8(JSON.stringify({ ...body, fields: validateFields(body.fields) }));
  const envelope = seal(s, recordKey, s.pad(json, paddedLength(json.length)), teamRecordBodyAad(at.team, at.caseId, at.recordId, at.version, at.caseEpoch));
  const wrappedKey = wrapRecordKey(s, caseKey, at.team, at.caseId, at.recordId, at.version, at.caseEpoch, recordKey);
  s.memzero(recordKey);
  const chainSeq = headSeq(at.chain);
  const chainHead = at.chain.hashes[chainSeq]!;
  const statement = teamRecordVersionStatement({
    team: at.team, caseId: at.caseId, recordId: at.recordId, version: at.version, caseEpoch: at.caseEpoch,
    chainSeq, chainHead, wrappedKeyHash: s.crypto_hash_sha256(wrappedKey), bodyHash: s.crypto_hash_sha256(envelope),
  });
  return { chainSeq, chainHead, wrappedKey, body: envelope, signature: s.crypto_sign_detached(statement, signSecretKey) };
}

/**
 * Checks a version against the verified chain before anything is decrypted: written under a
 * head of this client's chain (else the chain was forked between members), by someone who
 * was a member with exactly these keys at that head, under the case epoch in force there,
 * and signed over the exact bytes received. Returns what decrypting needs.
 */
export function checkTeamRecord(s: Sodium, chain: TeamState, w: WireTeamRecord) {
  if (!Number.isSafeInteger(w.chainSeq) || w.chainSeq < 0) throw new IntegrityError(`team record ${w.id}: chain seq ${String(w.chainSeq)} is not a statement number`);
  if (w.chainSeq > headSeq(chain)) throw new IntegrityError(`team record ${w.id}: written under statement ${w.chainSeq}, beyond the chain this client was shown`);
  const head = bytes(w.chainHead, 'chain head');
  if (!equalBytes(head, chain.hashes[w.chainSeq]!)) {
    throw new IntegrityError(`team record ${w.id}: written under another statement ${w.chainSeq} than this client's chain has (the chain was forked)`);
  }
  const author = identityFromWire(w.author);
  verifyIdentity(s, author);
  const m = memberAt(chain, author.handle, w.chainSeq);
  if (!m || !equalBytes(m.signPublicKey, author.signPublicKey) || !equalBytes(m.boxPublicKey, author.boxPublicKey)) {
    throw new SignatureError(`team record ${w.id}: ${author.handle} was not a member with these keys when it was written`);
  }
  const c = chain.cases.get(w.caseId);
  if (!c || caseEpochAt(c, w.chainSeq) !== w.caseEpoch) throw new IntegrityError(`team record ${w.id}: case epoch ${w.caseEpoch} was not in force when it was written`);
  const wrappedKey = bytes(w.wrappedKey, 'wrapped key');
  const body = bytes(w.body, 'body');
  const statement = teamRecordVersionStatement({
    team: w.teamId, caseId: w.caseId, recordId: w.id, version: w.version, caseEpoch: w.caseEpoch,
    chainSeq: w.chainSeq, chainHead: head, wrappedKeyHash: s.crypto_hash_sha256(wrappedKey), bodyHash: s.crypto_hash_sha256(body),
  });
  const signature = bytes(w.signature, 'signature');
  let valid = false;
  try {
    valid = signature.length === 64 && s.crypto_sign_verify_detached(signature, statement, author.signPublicKey);
  } catch {
    valid = false;
  }
  if (!valid) throw new SignatureError(`team record ${w.id} v${w.version}: signature does not verify`);
  return { author, wrappedKey, body };
}

/**
 * [Note: a record written around a removal] The server accepts a version only under the
 * newest chain head, and a removal or case revocation only signed within
 * TEAM_STATEMENT_CLOCK_WINDOW_MS of its clock. A version whose head comes before such a
 * statement, but whose signed writing time is later than the statement's signing time by more
 * than that window, was written by someone shown a chain cut short (a frozen view), under a
 * case key the removed person may hold: refused, for every reader that has the removal.
 */
export function checkNotWrittenAroundRemoval(chain: TeamState, r: TeamRecord): void {
  const written = r.writtenAt.getTime();
  for (const st of chain.statements.slice(r.chainSeq + 1)) {
    const ends = st.action === 'remove' || (st.action === 'case-revoke' && st.caseId === r.caseId);
    if (ends && written - st.at > TEAM_STATEMENT_CLOCK_WINDOW_MS) {
      throw new IntegrityError(
        `team record ${r.id} v${r.version}: written at ${r.writtenAt.toISOString()} under statement ${r.chainSeq}, though statement ${st.seq} (${st.action} of ${st.subject?.handle ?? '?'}) was signed at ${new Date(st.at).toISOString()}: the writer was shown a chain without it`,
      );
    }
  }
}

export function openTeamRecord(s: Sodium, caseKey: Uint8Array, w: WireTeamRecord, checked: ReturnType<typeof checkTeamRecord>): TeamRecord {
  const recordKey = unwrapRecordKey(s, caseKey, w.teamId, w.caseId, w.id, w.version, w.caseEpoch, checked.wrappedKey);
  const padded = open(s, recordKey, checked.body, teamRecordBodyAad(w.teamId, w.caseId, w.id, w.version, w.caseEpoch), `team record ${w.id} v${w.version}`);
  s.memzero(recordKey);
  let b: TeamRecordBody;
  try {
    b = JSON.parse(fromUtf8(s.unpad(padded, padded.length))) as TeamRecordBody;
  } catch {
    throw new IntegrityError(`team record ${w.id} v${w.version}: body is not padded JSON`);
  }
  if (typeof b !== 'object' || b === null || b.v !== 1 || typeof b.createdAt !== 'string' || typeof b.writtenAt !== 'string') {
    throw new IntegrityError(`team record ${w.id} v${w.version}: body is not a version-1 team record`);
  }
  let fields: RecordFields;
  try {
    fields = validateFields(b.fields);
  } catch {
    throw new IntegrityError(`team record ${w.id} v${w.version}: fields are malformed`);
  }
  return {
    id: w.id,
    teamId: w.teamId,
    caseId: w.caseId,
    version: w.version,
    latestVersion: w.latestVersion,
    caseEpoch: w.caseEpoch,
    chainSeq: w.chainSeq,
    author: { handle: checked.author.handle, fingerprint: fingerprint(s, checked.author) },
    fields,
    createdAt: new Date(b.createdAt),
    writtenAt: new Date(b.writtenAt),
  };
}
