import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64Url, toBase64Url } from './base64url.ts';
import { concat, equalBytes, field, u32be, u64be, utf8, uuidBytes } from './bytes.ts';
import { LABEL } from './labels.ts';
import { HANDLE_PATTERN } from './limits.ts';

// [Note: teams]
// A team's membership is a hash-linked chain of statements, each signed by a coordinator
// whose membership the chain itself proves (docs/PROTOCOL.md "Teams"). This module has the
// bytes and the replay; the server replays to authorize routes, the client replays to decide
// whom it trusts and seals keys to. Signature checks come in as a function, since this
// package has no libsodium.

export const TEAM_ACTIONS = ['create', 'add', 'remove', 'role', 'case-create', 'case-share', 'case-revoke'] as const;
export type TeamAction = (typeof TEAM_ACTIONS)[number];
export type TeamRole = 'coordinator' | 'member';
/**
 * At most this many bytes of JSON in one statement. A statement names at most one case epoch
 * itself; a removal names the new epoch of every case by the digest of a list sent beside it
 * ([Note: the case key list]), so its size does not grow with the number of cases.
 */
export const TEAM_STATEMENT_MAX_BYTES = 16 * 1024;
/** At most this many cases in a team, so a removal (one new epoch, key and link per case) always fits one request. */
export const TEAM_MAX_CASES = 10_000;
/** One entry of a case key list: case id (16) ‖ u32be(case epoch) ‖ commitment (32). */
export const CASE_KEY_LIST_ENTRY_BYTES = 16 + 4 + 32;
/** The server accepts a statement signed (`at`) within this much of its clock. */
export const TEAM_STATEMENT_CLOCK_WINDOW_MS = 10 * 60_000;

export interface TeamSubject {
  handle: string;
  signPublicKey: Uint8Array;
  boxPublicKey: Uint8Array;
}

export interface CaseKeyCommitment {
  caseId: string;
  caseEpoch: number;
  commitment: Uint8Array;
}

export interface TeamStatement {
  v: 1;
  team: string;
  seq: number;
  prev: Uint8Array | null;
  action: TeamAction;
  at: number;
  by: string;
  subject: TeamSubject | null;
  role: TeamRole | null;
  teamEpoch: number;
  teamKey: Uint8Array | null;
  caseId: string | null;
  /** Inline: the one case epoch a `case-create` or `case-revoke` starts (empty otherwise). */
  caseKeys: CaseKeyCommitment[];
  /** `remove` only: how many case epochs it starts and the digest of their list (caseKeyListDigest). */
  caseKeyList: { count: number; digest: Uint8Array } | null;
  expiresAt: number | null;
}

/** A statement that is not well formed, or does not follow from the chain before it. */
export class TeamChainError extends Error {
  override name = 'TeamChainError';
  constructor(
    message: string,
    /** 'signature' when a signature is missing or wrong, 'rule' otherwise. */
    readonly kind: 'signature' | 'rule' = 'rule',
  ) {
    super(message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HANDLE = new RegExp(HANDLE_PATTERN);

/** The bytes a coordinator signs and the chain hashes: label ‖ the JSON text as sent. */
export function teamStatementBytes(json: string): Uint8Array {
  return concat(utf8(LABEL.teamStatement), utf8(json));
}

export function teamStatementHash(json: string): Uint8Array {
  return sha256(teamStatementBytes(json));
}

/** The JSON text of a statement (the writer's side; readers keep the bytes they were given). */
export function encodeTeamStatement(s: TeamStatement): string {
  const subject = s.subject && {
    handle: s.subject.handle,
    signPublicKey: toBase64Url(s.subject.signPublicKey),
    boxPublicKey: toBase64Url(s.subject.boxPublicKey),
  };
  return JSON.stringify({
    v: 1,
    team: s.team,
    seq: s.seq,
    prev: s.prev && toBase64Url(s.prev),
    action: s.action,
    at: s.at,
    by: s.by,
    subject,
    role: s.role,
    teamEpoch: s.teamEpoch,
    teamKey: s.teamKey && toBase64Url(s.teamKey),
    caseId: s.caseId,
    caseKeys: s.caseKeys.map((k) => ({ caseId: k.caseId, caseEpoch: k.caseEpoch, commitment: toBase64Url(k.commitment) })),
    caseKeyList: s.caseKeyList && { count: s.caseKeyList.count, digest: toBase64Url(s.caseKeyList.digest) },
    expiresAt: s.expiresAt,
  });
}

function fail(message: string): never {
  throw new TeamChainError(message);
}

function bytesOf(v: unknown, length: number, what: string): Uint8Array {
  if (typeof v !== 'string') fail(`${what} is missing`);
  let b: Uint8Array;
  try {
    b = fromBase64Url(v);
  } catch {
    fail(`${what} is not base64url`);
  }
  if (b.length !== length) fail(`${what} is not ${length} bytes`);
  return b;
}

const counter = (v: unknown, what: string, min = 0): number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? v : fail(`${what} is not a whole number from ${min}`);
const uuid = (v: unknown, what: string): string => (typeof v === 'string' && UUID.test(v) ? v : fail(`${what} is not a UUID`));

/** Parses the exact JSON text of a statement; throws TeamChainError when it is not well formed. */
export function parseTeamStatement(json: string): TeamStatement {
  if (json.length > TEAM_STATEMENT_MAX_BYTES) fail('statement is too long');
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    fail('statement is not JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o) || o.v !== 1) fail('statement is not a version-1 team statement');
  const action = TEAM_ACTIONS.find((a) => a === o.action) ?? fail('unknown action');
  const s = o.subject as Record<string, unknown> | null | undefined;
  let subject: TeamSubject | null = null;
  if (s !== null && s !== undefined) {
    if (typeof s !== 'object' || typeof s.handle !== 'string' || !HANDLE.test(s.handle)) fail('subject is not a person');
    subject = {
      handle: s.handle,
      signPublicKey: bytesOf(s.signPublicKey, 32, 'subject signing key'),
      boxPublicKey: bytesOf(s.boxPublicKey, 32, 'subject box key'),
    };
  }
  const role = o.role === null || o.role === undefined ? null : o.role === 'coordinator' || o.role === 'member' ? o.role : fail('unknown role');
  if (!Array.isArray(o.caseKeys) || o.caseKeys.length > 1) fail('caseKeys is not a list of at most one');
  const caseKeys = (o.caseKeys as Record<string, unknown>[]).map((k) => ({
    caseId: uuid(k?.caseId, 'case key case id'),
    caseEpoch: counter(k?.caseEpoch, 'case epoch', 1),
    commitment: bytesOf(k?.commitment, 32, 'case key commitment'),
  }));
  const list = o.caseKeyList as Record<string, unknown> | null | undefined;
  let caseKeyList: TeamStatement['caseKeyList'] = null;
  if (list !== null && list !== undefined) {
    if (typeof list !== 'object' || Array.isArray(list)) fail('caseKeyList is not { count, digest }');
    const count = counter(list.count, 'case key list count');
    if (count > TEAM_MAX_CASES) fail('caseKeyList is too long');
    caseKeyList = { count, digest: bytesOf(list.digest, 32, 'case key list digest') };
  }
  if (typeof o.by !== 'string' || !HANDLE.test(o.by)) fail('signer is not a handle');
  return {
    v: 1,
    team: uuid(o.team, 'team'),
    seq: counter(o.seq, 'seq'),
    prev: o.prev === null ? null : bytesOf(o.prev, 32, 'prev'),
    action,
    at: counter(o.at, 'at'),
    by: o.by,
    subject,
    role,
    teamEpoch: counter(o.teamEpoch, 'team epoch', 1),
    teamKey: o.teamKey === null || o.teamKey === undefined ? null : bytesOf(o.teamKey, 32, 'team key commitment'),
    caseId: o.caseId === null || o.caseId === undefined ? null : uuid(o.caseId, 'case id'),
    caseKeys,
    caseKeyList,
    expiresAt: o.expiresAt === null || o.expiresAt === undefined ? null : counter(o.expiresAt, 'expiresAt'),
  };
}

// ---- Replay ------------------------------------------------------------------------------

/** One stretch of membership: who, with which keys and role, from one seq until another. */
export interface TeamMembership extends TeamSubject {
  role: TeamRole;
  from: number;
  /** The seq of the statement that ended it (removal or role change), or null while current. */
  to: number | null;
}

export interface CaseReviewer extends TeamSubject {
  expiresAt: number | null;
  from: number;
  to: number | null;
}

export interface TeamCase {
  caseId: string;
  /** Epoch n starts at epochs[n - 1].fromSeq. */
  epochs: { caseEpoch: number; fromSeq: number; commitment: Uint8Array }[];
  reviewers: CaseReviewer[];
}

export interface TeamState {
  team: string;
  /** Statement hashes, by seq. */
  hashes: Uint8Array[];
  memberships: TeamMembership[];
  teamEpochs: { teamEpoch: number; fromSeq: number; commitment: Uint8Array }[];
  cases: Map<string, TeamCase>;
  statements: TeamStatement[];
}

export interface SignedTeamStatement {
  json: string;
  signature: Uint8Array;
  /** A `remove`'s case key list (packCaseKeyList), as stored beside it; absent for other statements. */
  caseKeyList?: Uint8Array | null;
}

export type VerifySignature = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

export const headSeq = (t: TeamState) => t.hashes.length - 1;
export const currentMembers = (t: TeamState) => t.memberships.filter((m) => m.to === null);
export const currentTeamEpoch = (t: TeamState) => t.teamEpochs[t.teamEpochs.length - 1]!;

export function currentMember(t: TeamState, handle: string): TeamMembership | undefined {
  return t.memberships.find((m) => m.to === null && m.handle === handle);
}

/** The membership `handle` held right after statement `seq`, if any. */
export function memberAt(t: TeamState, handle: string, seq: number): TeamMembership | undefined {
  return t.memberships.find((m) => m.handle === handle && m.from <= seq && (m.to === null || m.to > seq));
}

/** The case's epoch in force right after statement `seq`. */
export function caseEpochAt(c: TeamCase, seq: number): number | undefined {
  return [...c.epochs].reverse().find((e) => e.fromSeq <= seq)?.caseEpoch;
}

export function currentReviewers(c: TeamCase): CaseReviewer[] {
  return c.reviewers.filter((r) => r.to === null);
}

export function newTeamState(team: string): TeamState {
  return { team, hashes: [], memberships: [], teamEpochs: [], cases: new Map(), statements: [] };
}

function sameKeys(a: TeamSubject, b: TeamSubject): boolean {
  return a.handle === b.handle && equalBytes(a.signPublicKey, b.signPublicKey) && equalBytes(a.boxPublicKey, b.boxPublicKey);
}

/**
 * Applies one signed statement to `t` (in place) after checking that it follows from it:
 * the right seq and prev, signed by a current coordinator (or, at seq 0, by its own subject),
 * and the rules of its action. Throws TeamChainError and leaves `t` unchanged otherwise.
 */
export function applyTeamStatement(t: TeamState, signed: SignedTeamStatement, verify: VerifySignature): TeamStatement {
  const s = parseTeamStatement(signed.json);
  const seq = t.hashes.length;
  if (s.team !== t.team) fail(`statement ${seq} is about another team`);
  if (s.seq !== seq) fail(`statement at position ${seq} says seq ${s.seq}`);
  const prev = seq === 0 ? null : t.hashes[seq - 1]!;
  if (prev === null ? s.prev !== null : s.prev === null || !equalBytes(prev, s.prev)) fail(`statement ${seq} does not follow statement ${seq - 1}`);

  let signer: TeamSubject;
  if (seq === 0) {
    if (s.action !== 'create' || !s.subject || s.by !== s.subject.handle) fail('a chain starts with its creator creating the team');
    signer = s.subject;
  } else {
    const m = currentMember(t, s.by);
    if (!m || m.role !== 'coordinator') fail(`statement ${seq} is signed by ${s.by}, who is not a coordinator of the team`);
    signer = m;
  }
  if (signed.signature.length !== 64 || !verify(signed.signature, teamStatementBytes(signed.json), signer.signPublicKey)) {
    throw new TeamChainError(`statement ${seq}: signature does not verify`, 'signature');
  }

  const epoch = seq === 0 ? 0 : currentTeamEpoch(t).teamEpoch;
  const raisesEpoch = s.action === 'create' || s.action === 'remove';
  if (s.teamEpoch !== (raisesEpoch ? epoch + 1 : epoch)) fail(`statement ${seq}: team epoch ${s.teamEpoch} is not the one in force`);
  if (raisesEpoch !== (s.teamKey !== null)) fail(`statement ${seq}: a team key commitment comes with create and remove only`);
  const subject = s.subject;
  const needsSubject = s.action !== 'case-create';
  if (needsSubject !== (subject !== null)) fail(`statement ${seq}: ${s.action} ${needsSubject ? 'needs' : 'has no'} subject`);
  const needsRole = s.action === 'create' || s.action === 'add' || s.action === 'role';
  if (needsRole !== (s.role !== null)) fail(`statement ${seq}: ${s.action} ${needsRole ? 'needs' : 'has no'} role`);
  if (s.action.startsWith('case-') !== (s.caseId !== null)) fail(`statement ${seq}: only case statements name a case`);
  if (s.action !== 'case-share' && s.expiresAt !== null) fail(`statement ${seq}: only a share has an end date`);
  const newCaseEpochs = caseEpochsStarted(t, s, signed.caseKeyList ?? null);

  // Work on copies, so a refused statement changes nothing.
  const memberships = t.memberships.map((m) => ({ ...m }));
  const cases = new Map([...t.cases].map(([id, c]) => [id, { ...c, epochs: [...c.epochs], reviewers: c.reviewers.map((r) => ({ ...r })) }]));
  const current = (h: string) => memberships.find((m) => m.to === null && m.handle === h);
  const reviewerAnywhere = (h: string) => [...cases.values()].some((c) => c.reviewers.some((r) => r.to === null && r.handle === h));
  const expectCaseKeys = (wanted: { caseId: string; caseEpoch: number }[]) => {
    const got = new Map(newCaseEpochs.map((k) => [k.caseId, k.caseEpoch]));
    const ok = wanted.length === newCaseEpochs.length && got.size === wanted.length && wanted.every((w) => got.get(w.caseId) === w.caseEpoch);
    if (!ok) fail(`statement ${seq}: the new case epochs are not exactly ${wanted.length > 3 ? `one for each of the ${wanted.length} cases` : wanted.map((w) => `${w.caseId}#${w.caseEpoch}`).join(', ') || 'none'}`);
    for (const k of newCaseEpochs) cases.get(k.caseId)!.epochs.push({ caseEpoch: k.caseEpoch, fromSeq: seq, commitment: k.commitment });
  };
  const theCase = () => cases.get(s.caseId!) ?? fail(`statement ${seq}: no case ${s.caseId}`);

  switch (s.action) {
    case 'create':
      memberships.push({ ...subject!, role: s.role!, from: seq, to: null });
      if (s.role !== 'coordinator') fail('the creator of a team is a coordinator');
      expectCaseKeys([]);
      break;
    case 'add':
      if (current(subject!.handle) || reviewerAnywhere(subject!.handle)) fail(`statement ${seq}: ${subject!.handle} is already in the team or reviews one of its cases`);
      memberships.push({ ...subject!, role: s.role!, from: seq, to: null });
      expectCaseKeys([]);
      break;
    case 'remove':
    case 'role': {
      const m = current(subject!.handle);
      if (!m || !sameKeys(m, subject!)) fail(`statement ${seq}: ${subject!.handle} is not a member with these keys`);
      m.to = seq;
      if (s.action === 'role') {
        if (s.role === m.role) fail(`statement ${seq}: ${m.handle} already has role ${m.role}`);
        memberships.push({ ...m, role: s.role!, from: seq, to: null });
        expectCaseKeys([]);
      } else {
        expectCaseKeys([...cases.values()].map((c) => ({ caseId: c.caseId, caseEpoch: c.epochs.length + 1 })));
      }
      if (!memberships.some((x) => x.to === null && x.role === 'coordinator')) fail(`statement ${seq}: a team keeps at least one coordinator`);
      break;
    }
    case 'case-create':
      if (cases.has(s.caseId!)) fail(`statement ${seq}: case ${s.caseId} exists`);
      if (cases.size >= TEAM_MAX_CASES) fail(`statement ${seq}: a team has at most ${TEAM_MAX_CASES} cases`);
      cases.set(s.caseId!, { caseId: s.caseId!, epochs: [], reviewers: [] });
      expectCaseKeys([{ caseId: s.caseId!, caseEpoch: 1 }]);
      break;
    case 'case-share': {
      const c = theCase();
      if (current(subject!.handle)) fail(`statement ${seq}: ${subject!.handle} is a member; cases are shared with outside reviewers`);
      if (c.reviewers.some((r) => r.to === null && r.handle === subject!.handle)) fail(`statement ${seq}: ${subject!.handle} already reviews this case`);
      c.reviewers.push({ ...subject!, expiresAt: s.expiresAt, from: seq, to: null });
      expectCaseKeys([]);
      break;
    }
    case 'case-revoke': {
      const c = theCase();
      const r = c.reviewers.find((x) => x.to === null && x.handle === subject!.handle);
      if (!r || !sameKeys(r, subject!)) fail(`statement ${seq}: ${subject!.handle} does not review this case with these keys`);
      r.to = seq;
      expectCaseKeys([{ caseId: c.caseId, caseEpoch: c.epochs.length + 1 }]);
      break;
    }
  }
  if (seq === 1 && !(s.action === 'case-create' && s.caseId === t.team)) fail('statement 1 creates the general space (the case whose id is the team id)');

  t.memberships = memberships;
  t.cases = cases;
  if (raisesEpoch) t.teamEpochs.push({ teamEpoch: s.teamEpoch, fromSeq: seq, commitment: s.teamKey! });
  t.hashes.push(teamStatementHash(signed.json));
  const applied = s.action === 'remove' ? { ...s, caseKeys: newCaseEpochs } : s;
  t.statements.push(applied);
  return applied;
}

// [Note: the case key list]
// A removal starts a new epoch of every case. Naming each in the signed statement made it
// grow with the number of cases; instead it names how many and the digest of their list
// (case id, epoch, commitment), which the server stores beside the statement and serves with
// it. A reader checks the list against the signed digest before using any commitment in it,
// so the server can no more change a commitment in the list than in the statement. A reviewer
// (who holds no team key) checks the case key sealed to it against the same list.

/** The list's bytes: for each entry, case id (16) ‖ u32be(case epoch) ‖ commitment (32). */
export function packCaseKeyList(entries: readonly CaseKeyCommitment[]): Uint8Array {
  return concat(...entries.map((k) => concat(uuidBytes(k.caseId), u32be(k.caseEpoch), k.commitment)));
}

export function unpackCaseKeyList(bytes: Uint8Array): CaseKeyCommitment[] {
  if (bytes.length % CASE_KEY_LIST_ENTRY_BYTES !== 0) fail('a case key list is not whole entries');
  const out: CaseKeyCommitment[] = [];
  for (let at = 0; at < bytes.length; at += CASE_KEY_LIST_ENTRY_BYTES) {
    const hex = [...bytes.subarray(at, at + 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const caseId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const view = new DataView(bytes.buffer, bytes.byteOffset + at + 16, 4);
    out.push({ caseId, caseEpoch: view.getUint32(0), commitment: bytes.slice(at + 20, at + CASE_KEY_LIST_ENTRY_BYTES) });
  }
  return out;
}

/** The digest a removal signs: SHA-256("tvault/v1/team-case-key-list" ‖ team ‖ u32be(seq) ‖ list bytes). */
export function caseKeyListDigest(team: string, seq: number, list: Uint8Array): Uint8Array {
  return sha256(concat(utf8(LABEL.caseKeyList), uuidBytes(team), u32be(seq), list));
}

/** The case epochs statement `s` starts: inline, or a removal's list checked against its signed digest. */
function caseEpochsStarted(t: TeamState, s: TeamStatement, list: Uint8Array | null): CaseKeyCommitment[] {
  if (s.action !== 'remove') {
    if (s.caseKeyList !== null || list !== null) fail(`statement ${s.seq}: only a removal has a case key list`);
    return s.caseKeys;
  }
  if (s.caseKeys.length > 0 || s.caseKeyList === null) fail(`statement ${s.seq}: a removal names its new case epochs by the digest of their list`);
  if (list === null) fail(`statement ${s.seq}: the list of new case epochs is missing`);
  if (list.length !== s.caseKeyList.count * CASE_KEY_LIST_ENTRY_BYTES || !equalBytes(caseKeyListDigest(t.team, s.seq, list), s.caseKeyList.digest)) {
    fail(`statement ${s.seq}: the list of new case epochs does not match its signed digest`);
  }
  return unpackCaseKeyList(list);
}

/** Replays a whole chain from seq 0. */
export function replayTeamChain(team: string, chain: readonly SignedTeamStatement[], verify: VerifySignature): TeamState {
  const t = newTeamState(team);
  if (chain.length === 0) fail('a team chain has at least its creation');
  for (const signed of chain) applyTeamStatement(t, signed, verify);
  return t;
}

// ---- Bytes bound to keys and records ---------------------------------------------------------

export function teamKeyContext(team: string, epoch: number): Uint8Array {
  return concat(utf8(LABEL.teamKeySeal), uuidBytes(team), u32be(epoch));
}

export function teamKeyCommitInput(team: string, epoch: number, key: Uint8Array): Uint8Array {
  return concat(utf8(LABEL.teamKeyCommit), uuidBytes(team), u32be(epoch), key);
}

export function caseKeyCommitInput(team: string, caseId: string, caseEpoch: number, key: Uint8Array): Uint8Array {
  return concat(utf8(LABEL.caseKeyCommit), uuidBytes(team), uuidBytes(caseId), u32be(caseEpoch), key);
}

export function caseKeyWrapAad(team: string, caseId: string, caseEpoch: number, teamEpoch: number): Uint8Array {
  return concat(utf8(LABEL.caseKeyWrap), uuidBytes(team), uuidBytes(caseId), u32be(caseEpoch), u32be(teamEpoch));
}

/** A case key link: epoch `caseEpoch − 1`'s key wrapped under epoch `caseEpoch`'s ([Note: case key links]). */
export function caseKeyLinkAad(team: string, caseId: string, caseEpoch: number): Uint8Array {
  return concat(utf8(LABEL.caseKeyLink), uuidBytes(team), uuidBytes(caseId), u32be(caseEpoch), u32be(caseEpoch - 1));
}

export function caseKeyShareContext(team: string, caseId: string, caseEpoch: number): Uint8Array {
  return concat(utf8(LABEL.caseKeyShare), uuidBytes(team), uuidBytes(caseId), u32be(caseEpoch));
}

export function teamRecordKeyAad(team: string, caseId: string, recordId: string, version: number, caseEpoch: number): Uint8Array {
  return concat(utf8(LABEL.teamRecordKey), uuidBytes(team), uuidBytes(caseId), uuidBytes(recordId), u32be(version), u32be(caseEpoch));
}

export function teamRecordBodyAad(team: string, caseId: string, recordId: string, version: number, caseEpoch: number): Uint8Array {
  return concat(utf8(LABEL.teamRecordBody), uuidBytes(team), uuidBytes(caseId), uuidBytes(recordId), u32be(version), u32be(caseEpoch));
}

export interface TeamRecordVersionTerms {
  team: string;
  caseId: string;
  recordId: string;
  version: number;
  caseEpoch: number;
  chainSeq: number;
  chainHead: Uint8Array;
  wrappedKeyHash: Uint8Array;
  bodyHash: Uint8Array;
}

/** What a team record's author signs (hashes are SHA-256 of the stored bytes, so the server can check it). */
export function teamRecordVersionStatement(r: TeamRecordVersionTerms): Uint8Array {
  return concat(
    utf8(LABEL.teamRecordVersion),
    uuidBytes(r.team),
    uuidBytes(r.caseId),
    uuidBytes(r.recordId),
    u32be(r.version),
    u32be(r.caseEpoch),
    u64be(r.chainSeq),
    field(r.chainHead),
    field(r.wrappedKeyHash),
    field(r.bodyHash),
  );
}
