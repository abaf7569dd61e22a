// A record's history read a page at a time, each page proven by one multi-leaf proof
// (docs/PROTOCOL.md "A page of a record's history", "What a client checks" 3, 4).
import { equalBytes, toBase64Url, HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX, type AuditEvent } from '@testimony-vault/protocol';
import { rootFromLeaves } from '@testimony-vault/protocol/merkle';
import type { Http } from '../api/http.ts';
import type { VerifiedCheckpoint } from './checkpoint.ts';
import { bytesFrom, proofFrom, type EventsCheck, type ProvenLeaf } from './events.ts';
import { fail, guard } from './fail.ts';

/** What this client knew about the record before it asked ([Note: events seen stay], [Note: events told]). */
export interface KnownEvents {
  /** The newest event verified of each record the walk covers (index and base64url leaf hash). */
  last: { index: number; hash: string }[];
  own: number[];
}

/** What a walk reads: the page at a cursor, checked event by event (a record's history, a case's). */
export interface HistorySource {
  /** Named in failures: "record <id>", "case <id>". */
  what: string;
  path(after: number, size: number, limit: number): string;
  check: EventsCheck;
  /** Where the walk starts: after this index (-1, the default: from the first event). */
  after?: number;
}

/** One page as checked: each event with its leaf and, when asked, its inclusion proof (from the page's proof). */
export interface CheckedPage {
  items: (ProvenLeaf & { index: number })[];
  events: AuditEvent[];
  /** True when no page follows in the checkpoint's tree; the walk's end checks passed. */
  last: boolean;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

// [Note: paged history]
// Every page of one walk is asked for in the tree of one verified checkpoint, after the
// last index of the page before; the checks carry from page to page, so a walk checks what
// one answer with every event would have:
// - each page's size is the checkpoint's, and its leaves with the page's multi-leaf proof
//   give the checkpoint's root: a leaf changed, added, left out or moved, a proof from
//   another page or another tree, each fails;
// - indices increase across pages (a page repeated, overlapping or out of order fails) and,
//   for the owner, the chain runs across page boundaries from the record's creation;
// - a page is at most the limit asked; a full page must name the cursor for the next (its
//   last index), an empty one must be the last;
// - the events the client knew of must appear where their index falls; one passed over, or
//   still missing when the server says no page follows, fails the walk (a server that drops
//   the newest page is caught by the client's own newest events and the last one it saw).
// Until the last page passed, the pages shown are verified as far as they go: the
// completeness of the end is a property of the whole walk.
export class HistoryWalk {
  private readonly check: EventsCheck;
  private readonly what: string;
  private readonly limit: number;
  private cursor = -1;
  private done = false;
  private failed = false;
  private readonly ownLeft: Set<number>;
  private readonly lastLeft: Map<number, string>;
  /** The next page, asked for before this one was checked. */
  private ahead: { after: number; answer: Promise<unknown> } | undefined;

  constructor(
    private readonly http: Http,
    private readonly source: HistorySource,
    private readonly cp: VerifiedCheckpoint,
    private readonly me: string,
    known: KnownEvents,
    pageSize = HISTORY_PAGE_DEFAULT,
    /** Whether each event's inclusion proof is kept (an export writes them). */
    private readonly withProofs = false,
  ) {
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > HISTORY_PAGE_MAX) throw new RangeError(`a history page holds 1 to ${HISTORY_PAGE_MAX} events, not ${pageSize}`);
    this.limit = pageSize;
    this.check = source.check;
    this.cursor = source.after ?? -1;
    this.what = source.what;
    this.ownLeft = new Set(known.own);
    this.lastLeft = new Map(known.last.map((l) => [l.index, l.hash]));
  }

  get finished(): boolean {
    return this.done;
  }

  /** Fetches and checks the next page; AuditLogError (or MerkleProofError's cause) when it fails. */
  async next(): Promise<CheckedPage> {
    if (this.failed) fail(`the history of ${this.what} already failed its checks`);
    if (this.done) throw new RangeError('the history was read to its end');
    try {
      return await this.nextPage();
    } catch (err) {
      // Its state is part-way through a page: nothing after a failure is checked against it.
      this.failed = true;
      throw err;
    }
  }

  private async nextPage(): Promise<CheckedPage> {
    const id = this.what;
    const ahead = this.ahead?.after === this.cursor ? this.ahead.answer : undefined;
    this.ahead = undefined;
    const res = await (ahead ?? this.ask(this.cursor));
    if (!isObject(res) || !Array.isArray(res.events)) fail(`the history of ${id} is malformed`);
    // The next page is asked for while this one is checked; its cursor is checked below, and
    // an answer asked for past a cursor that fails is never used.
    if (Number.isSafeInteger(res.next)) this.prefetch(res.next as number);
    if (res.size !== this.cp.size) fail(`the server answered the history for a log of ${String(res.size)} events, not the ${this.cp.size} of the checkpoint`);
    if (res.events.length > this.limit) fail(`the server answered ${res.events.length} events for a page of at most ${this.limit}`);
    const leaves = res.events.map((e: unknown, i) => (isObject(e) ? bytesFrom(e.leaf, `event ${i}'s leaf`) : fail(`event ${i} of the history is malformed`)));
    const proof = proofFrom(res.proof, `the proof of the history page after index ${this.cursor}`);
    const checked = leaves.map((leaf) => this.check.next(leaf));
    const events = checked.map((c) => c.event);
    let items: CheckedPage['items'] = [];
    if (events.length > 0) {
      const { root, inclusionProofs } = guard(`the history page after index ${this.cursor} is not in the signed log of size ${this.cp.size}`, () =>
        rootFromLeaves(events.map((e, i) => ({ index: e.index, hash: checked[i]!.leafHash })), this.cp.size, proof, { inclusionProofs: this.withProofs }),
      );
      if (!equalBytes(root, this.cp.root)) fail(`the history page after index ${this.cursor} is not in the signed log of size ${this.cp.size}: an event was changed, added, left out or moved`);
      items = events.map((e, i) => ({ leaf: leaves[i]!, index: e.index, proof: inclusionProofs[i] ?? [] }));
    } else if (proof.length > 0) fail('an empty history page comes with a proof');
    const lastIndex = this.check.lastIndex;
    if (res.next === null) {
      if (events.length === this.limit) fail(`the server says a full history page is the last of ${id}; it must name the next`);
      this.done = true;
    } else if (events.length === 0 || res.next !== lastIndex) fail(`the history page of ${id} after index ${this.cursor} does not advance to its last event`);
    this.cursor = lastIndex;
    this.knownAmong(events, checked.map((c) => c.leafHash));
    if (this.done) this.check.end();
    return { items, events, last: this.done };
  }

  private ask(after: number): Promise<unknown> {
    return this.http.json<unknown>('GET', this.source.path(after, this.cp.size, this.limit));
  }

  private prefetch(after: number): void {
    const answer = this.ask(after);
    answer.catch(() => undefined); // seen when it is used; a walk that stopped never uses it
    this.ahead = { after, answer };
  }

  /** Checks the known events whose index this page covers; at the end, that none is left. */
  private knownAmong(events: AuditEvent[], hashes: Uint8Array[]): void {
    const id = this.what;
    events.forEach((e, i) => {
      const last = this.lastLeft.get(e.index);
      if (last !== undefined) {
        if (toBase64Url(hashes[i]!) !== last) fail(`${id}: event ${e.index}, verified before, is missing from its history`);
        this.lastLeft.delete(e.index);
      }
      if (this.ownLeft.delete(e.index) && e.actor !== this.me) fail(`${id}: event ${e.index}, told as this account's own access, names ${e.actor ?? 'nobody'}`);
    });
    // Indices increase, so one at or below the cursor that was not met never will be.
    const reached = this.done ? Number.MAX_SAFE_INTEGER : this.cursor;
    for (const index of this.lastLeft.keys()) {
      if (index <= reached) fail(`${id}: event ${index}, verified before, is missing from its history`);
    }
    for (const index of this.ownLeft) {
      if (index <= reached) fail(`${id}: event ${index}, which logged this account's own access, is missing from its history`);
    }
  }
}
