import type { Http } from '../api/http.ts';
import type { Unlocked } from '../account/session.ts';
import { fromBase64Url, toBase64Url, equalBytes, decodeAuditEvent, utf8, HISTORY_PAGE_MAX, type ToldAuditEvent } from '@testimony-vault/protocol';
import type { Sodium } from '../crypto/sodium.ts';
import { hashLeaf, verifyConsistency } from '@testimony-vault/protocol/merkle';
import type { StateStore } from '../state/store.ts';
import { parseLogKey, verifyCheckpoint, type VerifiedCheckpoint } from './checkpoint.ts';
import { RecordEventsCheck, bytesFrom, historyEvent, proofFrom, type AuditHistoryEvent, type ProvenLeaf } from './events.ts';
import { HistoryWalk, type CheckedPage, type KnownEvents } from './history-pages.ts';
import { buildExport, type AuditExport } from './export.ts';
import { rootFromRange } from './range.ts';
import { fail, guard } from './fail.ts';
import { toldBy } from './told.ts';

/** One verified page of a record's history (AuditClient.historyPages). */
export interface AuditHistoryPage {
  /** The page's events, oldest first, each proven in the checkpoint of `checkpointSize`. */
  events: AuditHistoryEvent[];
  /** The size of the signed tree every page of this walk is proven in. */
  checkpointSize: number;
  /** True on the last page: none follows, and every event this client knew of was met. */
  complete: boolean;
}

/** A checkpoint this client verified, with the signed note itself and the key that signed it. */
export interface AuditCheckpoint extends VerifiedCheckpoint {
  /** The signed note (C2SP tlog-checkpoint). */
  checkpoint: string;
  /** The verifier key it was checked with (pinned, or ConnectOptions.logKey). */
  verifierKey: string;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

// [Note: audit state]
// Two things in the StateStore, neither keyed by anything the server names:
// - `auditkey:<server URL>`: the log's verifier key, pinned on first use (unless the caller
//   gives ConnectOptions.logKey, which is then the only key accepted). A later checkpoint
//   signed by another key fails.
// - `checkpoint:<origin>`: the newest checkpoint verified, JSON { size, root (base64url) }.
//   The origin is the pinned key's name (a checkpoint's origin must equal it), so a server
//   cannot point the client at an empty memory by renaming its log.
// Each new checkpoint must be consistent with the stored one; only a larger one replaces it,
// so the size verified never goes back. Per record, keyed by this account's signing key:
// `auditlast:` the newest event verified in its history and `auditown:` this account's own
// events told since ([Note: events told]).

/** The audit log, client side: docs/PROTOCOL.md "What a client checks". */
export class AuditClient {
  /** checkpoint() runs one at a time, so the stored checkpoint never moves backwards. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Read-modify-writes of the per-record entries, one at a time. */
  private stateQueue: Promise<unknown> = Promise.resolve();
  /** The largest tree size verified (this session, or stored when a checkpoint was read). */
  private verifiedSize = 0;
  /** The largest index an answer said it appended, this session: the log holds it. */
  private toldMax = -1;

  constructor(
    private readonly s: Sodium,
    private readonly http: Http,
    private readonly me: () => Unlocked,
    private readonly state: StateStore,
    private readonly options: { logKey?: string | undefined } = {},
  ) {
    http.onSend = (method, path) => {
      const floor = this.verifiedSize;
      return (res) => this.told(method, path, res, floor);
    };
  }

  /** The server's base URL, normalised: the scope of the pinned key. */
  private serverId(): string {
    try {
      const u = new URL(this.http.server);
      return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
    } catch {
      return this.http.server;
    }
  }

  /** The key every checkpoint must be signed with, which must also be the one the account pinned, when it did. */
  private async logKey(): Promise<string> {
    const key = await this.logKeyUnchecked();
    const pin = this.me().logKeyPin;
    if (pin && !equalBytes(this.s.crypto_hash_sha256(utf8(key)), pin)) {
      // [Note: the log key in the account]
      fail('the log key is not the one this account pinned when it was made: the server changed its log key, and could show a rewritten log');
    }
    return key;
  }

  private async logKeyUnchecked(): Promise<string> {
    if (this.options.logKey !== undefined) {
      const key = this.options.logKey.trim();
      parseLogKey(key, 'ConnectOptions.logKey');
      return key;
    }
    const stateKey = `auditkey:${this.serverId()}`;
    const pinned = await this.state.get(stateKey);
    if (pinned !== undefined) {
      parseLogKey(pinned, 'the log key pinned in the state store');
      return pinned;
    }
    // Trust on first use: the key the server names now is the one every later checkpoint
    // must be signed with.
    const res = await this.http.json<unknown>('GET', '/v1/audit/key');
    if (!isObject(res)) fail('the server answered no log key');
    const key = parseLogKey(res.verifierKey, "the server's log key");
    if (res.origin !== key.name) fail(`the server's log origin ${JSON.stringify(res.origin)} is not its key's name ${JSON.stringify(key.name)}`);
    await this.state.set(stateKey, res.verifierKey as string);
    return res.verifierKey as string;
  }

  /**
   * Fetches and verifies the current checkpoint: signed by the pinned log key, and an
   * append-only extension of the newest checkpoint this client verified before (checked
   * with a consistency proof). Remembers it for the next call.
   */
  checkpoint(): Promise<AuditCheckpoint> {
    const run = this.queue.then(() => this.checkpointNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async checkpointNow(): Promise<AuditCheckpoint> {
    const told = this.toldMax;
    const verifierKey = await this.logKey();
    const res = await this.http.json<unknown>('GET', '/v1/audit/checkpoint');
    const note = isObject(res) ? res.checkpoint : undefined;
    if (typeof note !== 'string') fail('the server answered no checkpoint');
    const cp = verifyCheckpoint(this.s, note, verifierKey);
    const stateKey = `checkpoint:${cp.origin}`;
    const stored = await this.state.get(stateKey);
    const old = stored === undefined ? undefined : this.parseStored(stored);
    if (old) {
      if (cp.size < old.size) fail(`the log shrank: it has ${cp.size} events after ${old.size} were verified`);
      if (cp.size === old.size) {
        if (!equalBytes(cp.root, old.root)) fail(`the log of ${cp.size} events has a different root than before: it was rewritten or forked`);
      } else {
        const proof = old.size === 0 ? [] : await this.consistencyProof(old.size, cp.size);
        guard(`the log of ${cp.size} events is not an extension of the ${old.size} verified before (rewritten or forked)`, () =>
          verifyConsistency(old.size, cp.size, proof, old.root, cp.root),
        );
      }
    }
    if (cp.size <= told) fail(`the log of ${cp.size} events does not hold event ${told}, which the server said it had appended`);
    if (!old || cp.size > old.size) await this.state.set(stateKey, JSON.stringify({ size: cp.size, root: toBase64Url(cp.root) }));
    this.verifiedSize = Math.max(this.verifiedSize, cp.size);
    return { ...cp, checkpoint: note, verifierKey };
  }

  private parseStored(text: string): { size: number; root: Uint8Array } {
    return guard('the checkpoint kept in the state store is malformed', () => {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        throw new RangeError('not JSON');
      }
      if (!isObject(v) || !Number.isSafeInteger(v.size) || (v.size as number) < 0 || typeof v.root !== 'string') throw new RangeError('not { size, root }');
      const root = fromBase64Url(v.root);
      if (root.length !== 32) throw new RangeError('root is not 32 bytes');
      return { size: v.size as number, root };
    });
  }

  private async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    const res = await this.http.json<unknown>('GET', `/v1/audit/consistency?from=${from}&to=${to}`);
    return proofFrom(isObject(res) ? res.proof : undefined, 'the consistency proof');
  }

  /**
   * Walks the record's history in a freshly verified checkpoint, a page at a time
   * ([Note: paged history]); when this account is `recordOwner` (the owner handle of the
   * record, as verified when it was read) the server must show every event about it, so
   * the chain is checked as well. After the last page, remembers what it showed.
   */
  private async *walk(recordId: string, recordOwner: string, pageSize?: number, withProofs = false): AsyncGenerator<CheckedPage & { cp: AuditCheckpoint; chain: boolean; newestKnown: number | null }> {
    // What this client knew before it asked: the walk must meet all of it.
    const known = await this.known(recordId);
    const cp = await this.checkpoint();
    const chain = recordOwner === this.me().handle;
    const source = { what: `record ${recordId}`, path: (after: number, size: number, limit: number) => `/v1/records/${encodeURIComponent(recordId)}/history?size=${size}&after=${after}&limit=${limit}`, check: new RecordEventsCheck(recordId, chain) };
    const walk = new HistoryWalk(this.http, source, cp, this.me().handle, known, pageSize, withProofs);
    const newest = Math.max(...known.last.map((l) => l.index), ...known.own, -1);
    const newestKnown = newest < 0 ? null : newest;
    const shown: number[] = [];
    let lastItem: { index: number; leaf: Uint8Array } | undefined;
    while (!walk.finished) {
      const page = await walk.next();
      for (const e of page.events) if (known.own.includes(e.index)) shown.push(e.index);
      lastItem = page.items[page.items.length - 1] ?? lastItem;
      if (page.last) await this.rememberShown(recordId, lastItem, shown);
      yield { ...page, cp, chain, newestKnown };
    }
  }

  /**
   * The record's verified history, a page at a time, oldest first: each page is shown once
   * it is proven in the checkpoint the walk started from; `complete` is true on the last
   * page, once the end checks passed. Stop early and nothing is remembered.
   */
  async *historyPages(recordId: string, recordOwner: string, options: { pageSize?: number } = {}): AsyncGenerator<AuditHistoryPage> {
    for await (const page of this.walk(recordId, recordOwner, options.pageSize)) {
      yield { events: page.events.map(historyEvent), checkpointSize: page.cp.size, complete: page.last };
    }
  }

  /** The record's verified history, oldest first. See walk() for what is checked. */
  async recordHistory(recordId: string, recordOwner: string, pageSize = HISTORY_PAGE_MAX): Promise<AuditHistoryEvent[]> {
    const out: AuditHistoryEvent[] = [];
    for await (const page of this.historyPages(recordId, recordOwner, { pageSize })) out.push(...page.events);
    return out;
  }

  /**
   * The record's verified history as a self-contained file for verifyExport: each event
   * with its inclusion proof, which the page's proof gave ([Note: multi-leaf proofs]).
   */
  async exportHistory(recordId: string, recordOwner: string, pageSize = HISTORY_PAGE_MAX): Promise<AuditExport> {
    const items: (ProvenLeaf & { index: number })[] = [];
    let end: { cp: AuditCheckpoint; chain: boolean; newestKnown: number | null } | undefined;
    for await (const page of this.walk(recordId, recordOwner, pageSize, true)) {
      items.push(...page.items);
      end = page;
    }
    if (!end) fail(`the history of record ${recordId} was not read`);
    const { cp, chain, newestKnown } = end;
    return buildExport({ verifierKey: cp.verifierKey, checkpoint: cp.checkpoint, origin: cp.origin, recordId, chainComplete: chain, items, complete: { treeSize: cp.size, newestKnownIndex: newestKnown } });
  }

  /**
   * Administrators: one page of the whole log, in order (metadata only: the log holds no
   * plaintext), proven against a freshly verified checkpoint: every leaf decodes at the
   * index the server says, with no gap, and the page as a whole is in the signed tree
   * ([Note: proving a page of the log]). A page ends at the checkpoint; one the server cut
   * short of it fails. `checkpointSize` is the size of the tree the page was proven in.
   */
  async events(after = -1, limit = 100): Promise<{ events: AuditHistoryEvent[]; next: number | null; checkpointSize: number }> {
    const cp = await this.checkpoint();
    const room = Math.min(limit, cp.size - after - 1);
    if (room <= 0) return { events: [], next: null, checkpointSize: cp.size };
    const res = await this.http.json<unknown>('GET', `/v1/audit/events?after=${after}&limit=${room}`);
    if (!isObject(res) || !Array.isArray(res.events)) fail('the audit log page is malformed');
    const leaves = res.events.map((e: unknown, i) => (isObject(e) ? bytesFrom(e.leaf, `event ${i}'s leaf`) : fail(`event ${i} of the page is malformed`)));
    const events = leaves.map((leaf, i) => {
      const decoded = guard(`event ${i} of the page`, () => decodeAuditEvent(leaf));
      // No gaps: the whole log is every index in order, so a deleted row shows.
      if (decoded.index !== (res.events as Record<string, unknown>[])[i]!.index || decoded.index !== after + 1 + i) fail(`event ${i} of the page is not at index ${after + 1 + i}: the log has a gap or is out of order`);
      return historyEvent(decoded);
    });
    const last = after + events.length;
    if (events.length < room) fail(`the audit log page stops at event ${last}, before the end of the signed log of ${cp.size} events`);
    if (res.next !== null && res.next !== last) fail('the audit log page does not advance');
    if (events.length > 0) await this.provePage(leaves, after + 1, cp);
    // The page reaches the checkpoint's end: newer events wait for the next checkpoint.
    return { events, next: last < cp.size - 1 ? last : null, checkpointSize: cp.size };
  }

  /** The page's leaves are the tree's leaves from `first` on ([Note: proving a page of the log]). */
  private async provePage(leaves: Uint8Array[], first: number, cp: AuditCheckpoint): Promise<void> {
    const proofOf = async (index: number) =>
      proofFrom(((await this.http.json<unknown>('GET', `/v1/audit/inclusion?index=${index}&size=${cp.size}`)) as { proof?: unknown } | null)?.proof, `the inclusion proof of event ${index}`);
    const lastIndex = first + leaves.length - 1;
    const [firstProof, lastProof] = await Promise.all([proofOf(first), lastIndex === first ? undefined : proofOf(lastIndex)]);
    const root = guard(`the audit log page of events ${first} to ${lastIndex}`, () => rootFromRange(leaves.map(hashLeaf), first, cp.size, firstProof, lastProof ?? firstProof));
    if (!equalBytes(root, cp.root)) fail(`the audit log page of events ${first} to ${lastIndex} is not the signed log's: an event was changed, added or removed`);
  }

  // [Note: events seen stay]
  // The chain proves no event is missing between the ones shown only if the server linked
  // each new event honestly when it appended it; an operator who deletes a record's latest
  // event row before the next append makes the next event link past it. So the client
  // remembers the newest event it has verified for each record (state store) and requires
  // every later history to hold that very leaf at that index; the chain back from a leaf
  // known by its hash is fixed by the hashes, so every event before it stays too.
  //
  // [Note: events told]
  // The chain cannot show that events are missing after the last one listed. So every
  // answer that appended events names them (the Audit-Events header, [Note: told events] in
  // the server), and the client remembers, per record, its own events told since it last
  // verified the history (the newest OWN_KEPT of them, which are also the newest it knows
  // of). A later history must hold each of them, with this account as the actor, so it
  // runs at least to the newest event the client knows of, and the chain is checked back
  // from there. A told index must be past the log size verified before the request left
  // (an older event cannot stand in for the new one), and never one told before for the
  // record; the next checkpoint must be larger than every index told.
  private accountKey(): string {
    return this.s.to_hex(this.s.crypto_hash_sha256(this.me().identity.signPublicKey));
  }

  private lastSeenKey(recordId: string): string {
    return `auditlast:${this.accountKey()}:${recordId}`;
  }

  private ownKey(recordId: string): string {
    return `auditown:${this.accountKey()}:${recordId}`;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.stateQueue.then(fn);
    this.stateQueue = run.catch(() => undefined);
    return run;
  }

  /** @internal What this client knew about the record's events before it asked (a case's walk reads it per record). */
  async known(recordId: string): Promise<KnownEvents> {
    return this.locked(async () => {
      const stored = await this.state.get(this.lastSeenKey(recordId));
      let last: { index: number; hash: string } | undefined;
      if (stored) {
        const [indexText, hash] = stored.split(':');
        const index = Number(indexText);
        if (!Number.isSafeInteger(index) || index < 0 || !hash) fail(`the event remembered for record ${recordId} is malformed`);
        last = { index, hash };
      }
      return { last: last ? [last] : [], own: await this.ownEvents(recordId) };
    });
  }

  private async ownEvents(recordId: string): Promise<number[]> {
    const text = await this.state.get(this.ownKey(recordId));
    if (text === undefined) return [];
    const list = guard(`the events remembered for record ${recordId}`, () => JSON.parse(text) as unknown);
    if (!Array.isArray(list) || !list.every((i) => Number.isSafeInteger(i) && i >= 0)) fail(`the events remembered for record ${recordId} are malformed`);
    return list as number[];
  }

  /** Http.onSend's answer hook: checks and remembers what a successful answer appended. */
  private async told(method: string, path: string, res: Response, floor: number): Promise<void> {
    const told = toldBy(method, path, res, floor);
    if (told.length === 0) return;
    this.toldMax = Math.max(this.toldMax, ...told.map((e) => e.index));
    const byRecord = new Map<string, ToldAuditEvent[]>();
    for (const e of told) if (e.recordId !== null) byRecord.set(e.recordId, [...(byRecord.get(e.recordId) ?? []), e]);
    await this.locked(async () => {
      for (const [recordId, events] of byRecord) {
        const own = await this.ownEvents(recordId);
        for (const e of events) {
          if (own.includes(e.index)) fail(`the server says two accesses to record ${recordId} were logged as the one event ${e.index}`);
          own.push(e.index);
        }
        own.sort((a, b) => a - b);
        await this.state.set(this.ownKey(recordId), JSON.stringify(own.slice(-OWN_KEPT)));
      }
    });
  }

  /** After a history passed: its newest event is the one to hold from now on; own events it showed are settled. */
  /**
   * @internal A team's statement events counted up to its newest verified event, index
   * `index` ([Note: H1(b) statements logged before writing]): JSON { index, count }.
   */
  async statementsCounted(team: string): Promise<{ index: number; count: number } | undefined> {
    const text = await this.state.get(`auditteam:${this.accountKey()}:${team}`);
    if (text === undefined) return undefined;
    const v = guard(`the statements counted for team ${team}`, () => JSON.parse(text) as unknown);
    if (!isObject(v) || !Number.isSafeInteger(v.index) || !Number.isSafeInteger(v.count)) fail(`the statements counted for team ${team} are malformed`);
    return { index: v.index as number, count: v.count as number };
  }

  /** @internal */
  async countStatements(team: string, index: number, count: number): Promise<void> {
    await this.state.set(`auditteam:${this.accountKey()}:${team}`, JSON.stringify({ index, count }));
  }

  /** @internal */
  async rememberShown(recordId: string, last: { index: number; leaf: Uint8Array } | undefined, shown: readonly number[]): Promise<void> {
    if (!last) return;
    await this.locked(async () => {
      const stored = await this.state.get(this.lastSeenKey(recordId));
      if (!stored || Number(stored.split(':')[0]) < last.index) await this.state.set(this.lastSeenKey(recordId), `${last.index}:${toBase64Url(hashLeaf(last.leaf))}`);
      const own = await this.ownEvents(recordId);
      const left = own.filter((i) => !shown.includes(i));
      if (left.length !== own.length) await this.state.set(this.ownKey(recordId), JSON.stringify(left));
    });
  }
}

/** Own events remembered per record until a history shows them: the newest are kept. */
const OWN_KEPT = 64;
