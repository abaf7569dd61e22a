import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64Url, toBase64Url } from './base64url.ts';
import { concat, equalBytes, field, u64be, utf8, uuidBytes } from './bytes.ts';
import { HANDLE_PATTERN } from './limits.ts';
import { LABEL } from './labels.ts';
import type { TeamAction } from './teams.ts';

// [Note: audit encodings]
// The bytes of an audit event (a Merkle leaf) and of a signed checkpoint, shared by the
// server (which writes them) and the client (which checks them). docs/PROTOCOL.md,
// "Audit log", is the specification.

export const AUDIT_EVENT_LABEL = 'tvault/v1/audit-event';
/** Version 2: the address field holds a commitment to the address ([Note: audit addresses]). */
export const AUDIT_EVENT_LABEL_V2 = 'tvault/v2/audit-event';

export const AUDIT_ACTIONS = [
  'account.register',
  'account.login',
  'account.login-failed',
  'account.passphrase-change',
  'account.recover-start',
  'account.recover',
  'session.end',
  'record.create',
  'record.read',
  'record.update',
  'record.delete',
  'file.upload',
  'file.abandon',
  'file.download',
  'grant.share',
  'grant.revoke',
  // Teams (docs/PROTOCOL.md "Teams"): one event per membership statement, the team id as its record id.
  'team.create',
  'team.add',
  'team.remove',
  'team.role',
  'case.create',
  'case.share',
  'case.revoke',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * The event each team statement is logged as (under the team id, its subject's handle as the
 * subject, its signer as the actor): the server writes it, a client matches the team's events
 * one to one with its chain (docs/PROTOCOL.md "A case's audit history").
 */
export const TEAM_STATEMENT_AUDIT_ACTION: Readonly<Record<TeamAction, AuditAction>> = {
  create: 'team.create',
  add: 'team.add',
  remove: 'team.remove',
  role: 'team.role',
  'case-create': 'case.create',
  'case-share': 'case.share',
  'case-revoke': 'case.revoke',
};

// [Note: audit text a client will show]
// A decoded event is shown to people (tvault history, exports, an application's own list),
// and the server writes its text. So every text field has a fixed shape: handles as
// handles, actions and outcomes lower-case words, the address address characters. A
// hostile server could otherwise put terminal control sequences into an actor or action,
// and a line printed later could move the cursor back and erase the line of an access it
// wants unseen. Actions and outcomes this client does not know (a newer server's) are
// accepted by shape, shown as they are and verified like the rest, so an upgraded server
// does not make every older client's history check fail as if the log had been tampered with.
const ACTION_SHAPE = /^[a-z][a-z0-9-]{0,31}\.[a-z][a-z0-9-]{0,31}$/;
const OUTCOME_SHAPE = /^[a-z][a-z0-9-]{0,31}$/;
const IP_SHAPE = /^[0-9A-Za-z.:%_-]{1,64}$/;
const HANDLE_SHAPE = new RegExp(HANDLE_PATTERN);
/** An action or outcome of a newer server: its text, of the shape above. */
export type NewerAuditWord = string & { readonly newerAuditWord?: never };

/** ok: done. refused: not the caller's to see or do (403/404). expired: refused because the caller's grant ran out. */
export const AUDIT_OUTCOMES = ['ok', 'refused', 'expired'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditEvent {
  /** Position in the log, from 0: the leaf index. */
  index: number;
  /** Milliseconds since the Unix epoch, by the server's clock. */
  at: number;
  /** Handle of the account that acted, or null (an unknown handle, no session). */
  actor: string | null;
  action: AuditAction | NewerAuditWord;
  outcome: AuditOutcome | NewerAuditWord;
  recordId: string | null;
  fileId: string | null;
  /** The other person an action names (the grantee of a share or revoke), or null. */
  subject: string | null;
  /** Leaf hash of the previous event about the same record, or null for its first. */
  prev: Uint8Array | null;
  /**
   * Client address in the leaf itself: only in version-1 events written before addresses
   * were committed to ([Note: audit addresses]); null in every event written since.
   */
  ip: string | null;
  /**
   * Version-2 events only (AUDIT_LOG_IP on): SHA-256 commitment to the client's address
   * and a random opening kept apart from the log and erased after the retention time.
   */
  addressCommitment?: Uint8Array;
  /**
   * 16 random bytes, so that an event cannot be guessed from its leaf hash: inclusion
   * proofs hand anyone the hashes of neighbouring leaves, which without a salt could be
   * brute-forced over the few possible actors, actions and times.
   */
  salt: Uint8Array;
}

export const AUDIT_SALT_BYTES = 16;
export const AUDIT_ADDRESS_OPENING_BYTES = 32;

// [Note: audit addresses]
// With AUDIT_LOG_IP on, the server records each event's client address, but not in the leaf,
// which can never change without breaking every checkpoint after it. The leaf (version 2)
// holds commitment = SHA-256("tvault/v1/audit-address" ‖ field(address) ‖ field(opening)),
// with a random 32-byte opening per event; the address and its opening are kept in a table
// of their own and deleted after AUDIT_IP_RETENTION_DAYS. Until then anyone shown the event
// can check the address against the leaf (a changed address fails); afterwards the leaf
// still verifies and the commitment, with 256 random bits of opening gone, tells nothing
// about the address. Events without an address keep the version-1 encoding (its address
// field empty), byte for byte what older clients read.

export function auditAddressCommitment(address: string, opening: Uint8Array): Uint8Array {
  if (opening.length !== AUDIT_ADDRESS_OPENING_BYTES) throw new RangeError('audit address opening is not 32 bytes');
  return sha256(concat(utf8(LABEL.auditAddress), field(utf8(address)), field(opening)));
}

/** True when `address` and `opening` are what the event's leaf committed to. */
export function auditAddressMatches(event: AuditEvent, address: string, opening: Uint8Array): boolean {
  if (event.addressCommitment === undefined || !IP_SHAPE.test(address) || opening.length !== AUDIT_ADDRESS_OPENING_BYTES) return false;
  return equalBytes(auditAddressCommitment(address, opening), event.addressCommitment);
}

const text = (v: string | null) => field(v === null ? new Uint8Array(0) : utf8(v));
const id = (v: string | null) => field(v === null ? new Uint8Array(0) : uuidBytes(v));

/**
 * leaf = "tvault/v1/audit-event" ‖ u64be(index) ‖ u64be(at) ‖ field(actor) ‖ field(action)
 *        ‖ field(outcome) ‖ field(recordId 16 | empty) ‖ field(fileId 16 | empty)
 *        ‖ field(subject) ‖ field(prev 32 | empty) ‖ field(ip) ‖ field(salt 16)
 * version 2 (an event with an address): label "tvault/v2/audit-event" and field(ip) replaced
 * by field(addressCommitment 32); the rest is the same.
 */
export function encodeAuditEvent(e: AuditEvent): Uint8Array {
  return assembleAuditLeaf(auditLeafParts(e), e.index, e.prev);
}

/**
 * The leaf around its two log-assigned fields: the index and `prev` are known only under
 * the log's lock, so the server's append (inside PostgreSQL, [Note: audit appends]) splices
 * them between these byte strings. `assembleAuditLeaf` is that splice, for the client and tests.
 */
export interface AuditLeafParts {
  /** The label. */
  beforeIndex: Uint8Array;
  /** u64be(at) ‖ field(actor) … field(subject). */
  beforePrev: Uint8Array;
  /** field(ip) ‖ field(salt), or in version 2 field(addressCommitment) ‖ field(salt). */
  afterPrev: Uint8Array;
}

export function auditLeafParts(e: Omit<AuditEvent, 'index' | 'prev'>): AuditLeafParts {
  const commitment = e.addressCommitment;
  if (commitment !== undefined && (e.ip !== null || commitment.length !== 32)) throw new RangeError('a version-2 audit event has a 32-byte address commitment and no address');
  return {
    beforeIndex: utf8(commitment === undefined ? AUDIT_EVENT_LABEL : AUDIT_EVENT_LABEL_V2),
    beforePrev: concat(u64be(e.at), text(e.actor), text(e.action), text(e.outcome), id(e.recordId), id(e.fileId), text(e.subject)),
    afterPrev: concat(commitment === undefined ? text(e.ip) : field(commitment), field(e.salt)),
  };
}

export function assembleAuditLeaf(parts: AuditLeafParts, index: number, prev: Uint8Array | null): Uint8Array {
  return concat(parts.beforeIndex, u64be(index), parts.beforePrev, field(prev ?? new Uint8Array(0)), parts.afterPrev);
}

function uuidText(b: Uint8Array): string {
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const startsWith = (leaf: Uint8Array, label: Uint8Array) => leaf.length >= label.length && equalBytes(leaf.subarray(0, label.length), label);

/** Strict UTF-8 that keeps a leading byte-order mark (the shared decoder drops it). */
const AUDIT_TEXT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses a leaf; throws RangeError on anything that is not exactly a version-1 or version-2 event. */
export function decodeAuditEvent(leaf: Uint8Array): AuditEvent {
  const v2 = startsWith(leaf, utf8(AUDIT_EVENT_LABEL_V2));
  const label = utf8(v2 ? AUDIT_EVENT_LABEL_V2 : AUDIT_EVENT_LABEL);
  if (!startsWith(leaf, label)) throw new RangeError('not an audit event');
  const view = new DataView(leaf.buffer, leaf.byteOffset, leaf.byteLength);
  let at = label.length;
  const u64 = () => {
    if (at + 8 > leaf.length) throw new RangeError('audit event is truncated');
    const v = view.getBigUint64(at, false);
    at += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('audit event number out of range');
    return Number(v);
  };
  const next = () => {
    if (at + 4 > leaf.length) throw new RangeError('audit event is truncated');
    const n = view.getUint32(at, false);
    at += 4;
    if (at + n > leaf.length) throw new RangeError('audit event is truncated');
    const out = leaf.subarray(at, at + n);
    at += n;
    return out;
  };
  const str = () => {
    const b = next();
    if (b.length === 0) return null;
    try {
      return AUDIT_TEXT.decode(b);
    } catch {
      // TextDecoder throws TypeError on invalid UTF-8; this function promises RangeError.
      throw new RangeError('audit event text is not UTF-8');
    }
  };
  const uuid = () => {
    const b = next();
    if (b.length !== 0 && b.length !== 16) throw new RangeError('audit event id is not 16 bytes');
    return b.length === 0 ? null : uuidText(b);
  };
  const index = u64();
  const time = u64();
  const actor = str();
  const action = str();
  const outcome = str();
  const recordId = uuid();
  const fileId = uuid();
  const subject = str();
  const prevBytes = next();
  const commitment = v2 ? next() : undefined;
  const ip = v2 ? null : str();
  if (commitment !== undefined && commitment.length !== 32) throw new RangeError('audit event address commitment is not 32 bytes');
  const salt = next();
  if (salt.length !== AUDIT_SALT_BYTES) throw new RangeError('audit event salt is not 16 bytes');
  if (at !== leaf.length) throw new RangeError('audit event has trailing bytes');
  // [Note: audit text a client will show]; the messages never repeat the text itself.
  if (action === null || !ACTION_SHAPE.test(action)) throw new RangeError('audit event action is not of the shape of an action');
  if (outcome === null || !OUTCOME_SHAPE.test(outcome)) throw new RangeError('audit event outcome is not of the shape of an outcome');
  if (actor !== null && !HANDLE_SHAPE.test(actor)) throw new RangeError('audit event actor is not a handle');
  if (subject !== null && !HANDLE_SHAPE.test(subject)) throw new RangeError('audit event subject is not a handle');
  if (ip !== null && !IP_SHAPE.test(ip)) throw new RangeError('audit event address is not an address');
  if (prevBytes.length !== 0 && prevBytes.length !== 32) throw new RangeError('audit event prev is not 32 bytes');
  const event: AuditEvent = {
    index,
    at: time,
    actor,
    action,
    outcome,
    recordId,
    fileId,
    subject,
    prev: prevBytes.length === 0 ? null : prevBytes.slice(),
    ip,
    salt: salt.slice(),
    ...(commitment === undefined ? {} : { addressCommitment: commitment.slice() }),
  };
  // One event, one encoding, without encoding it again (that was 40 % of checking a history):
  // every field is fixed-width or length-prefixed, ids and hashes are raw bytes, and the text
  // decoder is strict and keeps a byte-order mark, so no two leaves decode to the same event
  // (a leading BOM stays in the text and fails the shape checks above).
  return event;
}

// Checkpoints: the C2SP tlog-checkpoint body, signed as a C2SP signed note with an
// Ed25519 key (https://c2sp.org/tlog-checkpoint, https://c2sp.org/signed-note).

export function toBase64(bytes: Uint8Array): string {
  const u = toBase64Url(bytes).replaceAll('-', '+').replaceAll('_', '/');
  return u + '='.repeat((4 - (u.length % 4)) % 4);
}

export function fromBase64(b64: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new RangeError('not standard base64');
  const bytes = fromBase64Url(b64.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_'));
  if (toBase64(bytes) !== b64) throw new RangeError('not canonical base64');
  return bytes;
}

/** The checkpoint body that is signed: origin, tree size, root hash, each on its own line. */
export function checkpointBody(origin: string, size: number, root: Uint8Array): string {
  if (origin === '' || origin.includes('\n')) throw new RangeError('a checkpoint origin is one non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('tree size out of range');
  if (root.length !== 32) throw new RangeError('checkpoint root is not 32 bytes');
  return `${origin}\n${size}\n${toBase64(root)}\n`;
}

/** Ed25519 signature type byte of signed notes. */
const ED25519_TYPE = 0x01;

/** The 4-byte key id of a signed-note Ed25519 key: SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4]. */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return sha256(concat(utf8(`${name}\n`), new Uint8Array([ED25519_TYPE]), publicKey)).slice(0, 4);
}

/** The verifier key text standard tools read: name+hex(key id)+base64(0x01 ‖ public key). */
export function verifierKey(name: string, publicKey: Uint8Array): string {
  const hex = [...noteKeyId(name, publicKey)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${name}+${hex}+${toBase64(concat(new Uint8Array([ED25519_TYPE]), publicKey))}`;
}

/** Parses a verifier key; throws RangeError unless it is a well-formed Ed25519 key whose id matches. */
export function parseVerifierKey(vkey: string): { name: string; keyId: Uint8Array; publicKey: Uint8Array } {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey);
  if (!m) throw new RangeError('not a verifier key');
  const key = fromBase64(m[3]!);
  if (key.length !== 33 || key[0] !== ED25519_TYPE) throw new RangeError('not an Ed25519 verifier key');
  const publicKey = key.slice(1);
  const keyId = noteKeyId(m[1]!, publicKey);
  if ([...keyId].map((b) => b.toString(16).padStart(2, '0')).join('') !== m[2]) throw new RangeError('verifier key id does not match its key');
  return { name: m[1]!, keyId, publicKey };
}

/** A signed note: the body, a blank line, then "— name base64(keyid ‖ signature)". */
export function signedNote(body: string, name: string, keyId: Uint8Array, signature: Uint8Array): string {
  return `${body}\n\u2014 ${name} ${toBase64(concat(keyId, signature))}\n`;
}

export interface ParsedCheckpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  /** The signed text (everything before the blank line, with its final newline). */
  body: string;
  signatures: NoteSignature[];
}

export interface NoteSignature {
  name: string;
  keyId: Uint8Array;
  signature: Uint8Array;
}

/**
 * Splits a signed note into the signed text (ending in its newline) and its signature
 * lines; throws RangeError if it is malformed. Signatures are not checked here. The text
 * ends at the first blank line (a checkpoint body has none).
 */
export function parseSignedNote(note: string): { body: string; signatures: NoteSignature[] } {
  const split = note.indexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new RangeError('not a signed note');
  const body = note.slice(0, split + 1);
  if (split + 2 === note.length) throw new RangeError('the note has no signature');
  const signatures = note
    .slice(split + 2, -1)
    .split('\n')
    .map((line) => {
      const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      if (!m) throw new RangeError('malformed signature line');
      const raw = fromBase64(m[2]!);
      if (raw.length < 5) throw new RangeError('signature too short');
      return { name: m[1]!, keyId: raw.slice(0, 4), signature: raw.slice(4) };
    });
  return { body, signatures };
}

/** Splits a signed checkpoint into its parts; throws RangeError if it is malformed. Signatures are not checked here. */
export function parseCheckpoint(note: string): ParsedCheckpoint {
  const { body, signatures } = parseSignedNote(note);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new RangeError('a checkpoint has an origin, a size and a root');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin === '') throw new RangeError('checkpoint origin is empty');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new RangeError('checkpoint size is not a decimal integer');
  const root = fromBase64(rootText);
  if (root.length !== 32) throw new RangeError('checkpoint root is not 32 bytes');
  return { origin, size: Number(sizeText), root, body, signatures };
}

/**
 * The answer header that names the events a request appended ([Note: told events] in
 * server/src/plugins/audit.ts; docs/PROTOCOL.md "Events told to the client").
 */
export const AUDIT_EVENTS_HEADER = 'audit-events';

/** One event an answer says it appended: its log index, and the record it is about. */
export interface ToldAuditEvent {
  index: number;
  recordId: string | null;
}

const TOLD_ITEM = /^(0|[1-9][0-9]{0,15}):?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/;

/** Parses the Audit-Events header: `<index>` or `<index>:<recordId>`, joined by ", ". Throws RangeError. */
export function parseAuditEventsHeader(value: string): ToldAuditEvent[] {
  return value.split(',').map((item) => {
    const m = TOLD_ITEM.exec(item.trim());
    if (!m || (item.includes(':') && m[2] === undefined)) throw new RangeError(`not an audit event index: ${JSON.stringify(item.slice(0, 60))}`);
    const index = Number(m[1]);
    if (!Number.isSafeInteger(index)) throw new RangeError('audit event index is too large');
    return { index, recordId: m[2] ?? null };
  });
}
