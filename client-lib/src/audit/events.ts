// A record's events as the log proves them (docs/PROTOCOL.md "What a client checks" 3, 4).
import { fromBase64Url, equalBytes, decodeAuditEvent, type AuditAction, type AuditEvent, type AuditOutcome, type NewerAuditWord } from '@testimony-vault/protocol';
import { hashLeaf, verifyInclusion } from '@testimony-vault/protocol/merkle';
import type { VerifiedCheckpoint } from './checkpoint.ts';
import { fail, guard } from './fail.ts';

/** One event of a record's history, after its inclusion in a signed checkpoint was checked. */
export interface AuditHistoryEvent {
  /** Position in the log. */
  index: number;
  /** When, by the server's clock. */
  at: Date;
  /** Handle of the account that acted, or null (no session, an unknown handle). */
  actor: string | null;
  /** One of AUDIT_ACTIONS, or a newer server's action, shown as it is ([Note: audit text a client will show]). */
  action: AuditAction | NewerAuditWord;
  outcome: AuditOutcome | NewerAuditWord;
  recordId: string | null;
  fileId: string | null;
  /** The other person the action names (the grantee of a share or revoke), or null. */
  subject: string | null;
}

/** An event's leaf bytes with its inclusion proof. */
export interface ProvenLeaf {
  leaf: Uint8Array;
  proof: Uint8Array[];
}

export function historyEvent(e: AuditEvent): AuditHistoryEvent {
  return {
    index: e.index,
    at: new Date(e.at),
    actor: e.actor,
    action: e.action,
    outcome: e.outcome,
    recordId: e.recordId,
    fileId: e.fileId,
    subject: e.subject,
  };
}

/** base64url text to bytes, or an AuditLogError naming `what`. */
export function bytesFrom(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string') fail(`${what} is not base64url text`);
  return guard(what, () => fromBase64Url(text));
}

/** A proof as the API and exports carry it: an array of base64url hashes. */
export function proofFrom(proof: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(proof)) fail(`${what} is not a list of hashes`);
  return proof.map((h, i) => bytesFrom(h, `${what}[${i}]`));
}

/**
 * The checks on a record's events that need no proof, fed one leaf at a time in the order
 * the history lists them (a page after another): every leaf decodes, is about `recordId`,
 * and indices strictly increase. With `chain` (the record's owner, who is shown every event
 * about it), also the per-record chain: the first event is the record's creation with an
 * empty `prev`, and each later one's `prev` is the leaf hash of the event before it, so an
 * event left out of the middle, or at a page boundary, is caught. Events after the last one
 * shown cannot be caught this way: the chain proves that nothing is missing between the
 * first and the last event listed. Call end() once every event was given.
 */
/** The checks a history walk runs on each leaf, in order ([Note: paged history]). */
export interface EventsCheck {
  /** The index of the last event given, or -1. */
  readonly lastIndex: number;
  next(leaf: Uint8Array): { event: AuditEvent; leafHash: Uint8Array };
  end(): void;
}

export class RecordEventsCheck implements EventsCheck {
  private previous: { index: number; leafHash: Uint8Array } | undefined;
  private count = 0;

  constructor(
    private readonly recordId: string,
    private readonly chain: boolean,
    /** The action a full history starts with: a record's creation, or a team's (its id's first event). */
    private readonly creation: AuditAction = 'record.create',
    /** A walk that resumes after an event verified before: the chain goes on from its leaf hash. */
    private readonly from?: { index: number; leafHash: Uint8Array },
  ) {
    this.previous = from;
  }

  /** The index of the last event given, or -1. */
  get lastIndex(): number {
    return this.previous?.index ?? -1;
  }

  /** Decodes and checks the next event; returns it with its leaf hash. */
  next(leaf: Uint8Array): { event: AuditEvent; leafHash: Uint8Array } {
    const i = this.count++;
    const event = guard(`event ${i} is not an audit event`, () => decodeAuditEvent(leaf));
    const where = `event ${i} (log index ${event.index})`;
    const previous = this.previous;
    if (event.recordId !== this.recordId) fail(`${where} is about record ${event.recordId ?? '(none)'}, not ${this.recordId}`);
    if (previous && event.index <= previous.index) fail(`${where} is out of order: the history's indices must increase`);
    const leafHash = hashLeaf(leaf);
    if (this.chain) {
      if (!previous) {
        if (event.prev !== null) fail(`${where} is not the record's first event: events before it are missing`);
        this.mustBeCreation(event);
      } else if (event.prev === null || !equalBytes(event.prev, previous.leafHash)) {
        fail(`${where} does not follow log index ${previous.index}: an event about this record is missing between them`);
      }
    }
    this.previous = { index: event.index, leafHash };
    return { event, leafHash };
  }

  /** A record's full history starts where the record was made: an empty one has lost its beginning. */
  end(): void {
    if (this.chain && this.count === 0 && !this.from) this.mustBeCreation(undefined);
  }

  private mustBeCreation(first: AuditEvent | undefined): void {
    if (first?.action !== this.creation || first.outcome !== 'ok') fail(`the history of record ${this.recordId} does not start with its creation`);
  }
}

/**
 * Checks the events of one record, each with its own inclusion proof, against a verified
 * checkpoint: RecordEventsCheck's checks, and every leaf included at its own index in the
 * tree of the checkpoint's size and root (an export is checked this way).
 */
export function checkRecordEvents(items: readonly ProvenLeaf[], recordId: string, tree: VerifiedCheckpoint, chain: boolean): AuditEvent[] {
  const check = new RecordEventsCheck(recordId, chain);
  const out = items.map((item, i) => {
    const { event, leafHash } = check.next(item.leaf);
    guard(`event ${i} (log index ${event.index}) is not in the signed log of size ${tree.size}`, () => verifyInclusion(leafHash, event.index, tree.size, item.proof, tree.root));
    return event;
  });
  check.end();
  return out;
}
