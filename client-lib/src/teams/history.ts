// The audit history of a team and of a case, verified (docs/PROTOCOL.md "A case's audit
// history"): pages proven as a record's history pages are (audit/history-pages.ts), every
// event about a record of the case or logged under the team id, each record's chain and the
// team id's from their first event, and the team's statement events matched one to one with
// the signed chain.
import { HISTORY_PAGE_MAX, TEAM_STATEMENT_AUDIT_ACTION, decodeAuditEvent, fromBase64Url, headSeq, type AuditEvent, type TeamState } from '@testimony-vault/protocol';
import type { Http } from '../api/http.ts';
import type { AuditClient } from '../audit/client.ts';
import { RecordEventsCheck, historyEvent, type AuditHistoryEvent, type EventsCheck } from '../audit/events.ts';
import { fail, guard } from '../audit/fail.ts';
import { HistoryWalk, type KnownEvents } from '../audit/history-pages.ts';
import { AuditLogError } from '../errors.ts';
import { teamPath } from './chain.ts';

/** One event of a case's history, verified. */
export interface CaseHistoryEvent extends AuditHistoryEvent {
  /**
   * `record`: about a record of the case (its id is `recordId`); `case`: a statement about
   * this case (created, shared, revoked); `team`: a statement about the team's members, who
   * all read every case, or a refused team route, which the log names by the team alone.
   */
  about: 'record' | 'case' | 'team';
  /** The chain statement the event logs (its `seq`), or null. */
  seq: number | null;
}

/** One verified page of a case's history. */
export interface CaseHistoryPage {
  events: CaseHistoryEvent[];
  /** The size of the signed tree every page of the walk is proven in. */
  checkpointSize: number;
  /** True on the last page: none follows, and every event this client knew of was met. */
  complete: boolean;
}

const STATEMENT_ACTIONS = new Set<string>(Object.values(TEAM_STATEMENT_AUDIT_ACTION));

/** An event about a record the case's verified list does not hold: a record written since the list was read, or another case's. */
class UnknownRecordError extends AuditLogError {}

/** A statement event the chain shown does not hold: a chain cut short, or one that grew since it was read. */
class ChainCutShortError extends AuditLogError {}

// [Note: a case's events]
// A page of a case's history holds events about several ids: the team id (every statement,
// every refused team route, in one chain) and each record of the case (one chain each). So
// the check routes each leaf to its id's own chain check, from that id's first event (the
// team's creation, a record's creation), and requires the indices to increase across all of
// them. An id that is neither the team's nor one of the case's records as this client's
// verified list has them fails: an event of another case, or made up. Each team id event
// whose action is a statement's is matched with the next statement of the signed chain
// (action, signer as actor, subject): the log's statements and the chain's correspond one to
// one, in order, so a chain that leaves out a statement the log holds (a view frozen before
// a removal), or a log that leaves out one the chain holds, shows.
export class TeamEventsCheck implements EventsCheck {
  private readonly checks = new Map<string, RecordEventsCheck>();
  private previous = -1;
  /** Statement events met so far (the next one logs statement `logged`). */
  logged = 0;

  constructor(
    private readonly team: string,
    private readonly chain: () => TeamState,
    recordIds: Iterable<string>,
    /** Resuming after the team's newest event verified before, and the statement events up to it. */
    resume?: Resume,
  ) {
    this.checks.set(team, new RecordEventsCheck(team, true, 'team.create', resume?.from));
    this.logged = resume?.logged ?? 0;
    this.previous = resume?.from.index ?? -1;
    for (const id of recordIds) this.checks.set(id, new RecordEventsCheck(id, true));
  }

  get lastIndex(): number {
    return this.previous;
  }

  next(leaf: Uint8Array): { event: AuditEvent; leafHash: Uint8Array } {
    const event = guard('an event of the history is not an audit event', () => decodeAuditEvent(leaf));
    const check = this.checks.get(event.recordId ?? '');
    const where = `event ${event.index}`;
    if (!check) {
      throw new UnknownRecordError(`${where} is about ${event.recordId ?? 'no record'}, neither team ${this.team} nor a record of the case`);
    }
    if (event.index <= this.previous) fail(`${where} is out of order: the history's indices must increase`);
    const checked = check.next(leaf);
    this.previous = event.index;
    if (event.recordId === this.team && STATEMENT_ACTIONS.has(event.action)) this.matchStatement(event);
    return checked;
  }

  /** The seq of the statement a team event logs, or null (a refusal). */
  seqOf(event: AuditEvent): number | null {
    return event.recordId === this.team && STATEMENT_ACTIONS.has(event.action) ? (this.seqs.get(event.index) ?? null) : null;
  }

  private readonly seqs = new Map<number, number>();

  /** Statement `seq` of the chain the events were matched with. */
  statementAt(seq: number): TeamState['statements'][number] {
    return this.chain().statements[seq]!;
  }

  private matchStatement(event: AuditEvent): void {
    const seq = this.logged++;
    const st = this.chain().statements[seq];
    const where = `event ${event.index}`;
    if (!st) throw new ChainCutShortError(`${where} logs statement ${seq} of team ${this.team}, which the chain shown to this client does not hold: it was shown a chain cut short (a frozen view)`);
    const subject = st.subject?.handle ?? null;
    if (event.outcome !== 'ok' || event.action !== TEAM_STATEMENT_AUDIT_ACTION[st.action] || event.actor !== st.by || event.subject !== subject) {
      fail(`${where} logs ${event.action} by ${event.actor ?? 'nobody'} (${event.subject ?? 'no subject'}), but statement ${seq} of team ${this.team} is ${st.action} by ${st.by} (${subject ?? 'no subject'})`);
    }
    this.seqs.set(event.index, seq);
  }

  end(): void {
    for (const c of this.checks.values()) c.end();
  }
}

/** Where a walk of the team's own events goes on from ([Note: H1(b) statements logged before writing]). */
interface Resume {
  from: { index: number; leafHash: Uint8Array };
  logged: number;
}

/** What a walk needs from the rest of the library. */
export interface HistoryDeps {
  http: Http;
  audit: AuditClient;
  me: () => string;
  /** The team's chain, read and verified now. */
  chain: (team: string) => Promise<TeamState>;
  /** The ids of the case's records, as this client's verified list (listRecords) has them. */
  caseRecords: (team: string, caseId: string) => Promise<string[]>;
}

/** What this client knew about each id's events before it asked, merged for one walk. */
async function knownAbout(audit: AuditClient, ids: readonly string[]): Promise<KnownEvents> {
  const all = await Promise.all(ids.map((id) => audit.known(id)));
  return { last: all.flatMap((k) => k.last), own: all.flatMap((k) => k.own).sort((a, b) => a - b) };
}

/**
 * Walks the events of `ids` (the team id first) in a freshly verified checkpoint, a page at a
 * time ([Note: paged history], [Note: a case's events]); `path` names the route. After the
 * last page, remembers what it showed, per id, as a record's history does.
 */
async function* walkTeamEvents(
  d: HistoryDeps,
  team: string,
  ids: readonly string[],
  path: (after: number, size: number, limit: number) => string,
  what: string,
  /** The chain the statement events are matched with; none: read it after the checkpoint. */
  chainBefore: TeamState | undefined,
  pageSize?: number,
  resume?: Resume,
): AsyncGenerator<{ events: AuditEvent[]; check: TeamEventsCheck; cpSize: number; last: boolean }> {
  const all = await knownAbout(d.audit, ids);
  // Resumed, what this client knew up to the event it resumes after was met by the walk that verified it.
  const start = resume?.from.index ?? -1;
  const known = { last: all.last.filter((l) => l.index > start), own: all.own.filter((i) => i > start) };
  const cp = await d.audit.checkpoint();
  // Read after the checkpoint, the chain holds every statement whose event the tree holds.
  const state = chainBefore ?? (await d.chain(team));
  const check = new TeamEventsCheck(team, () => state, ids.slice(1), resume);
  const walk = new HistoryWalk(d.http, { what, path, check, after: start }, cp, d.me(), known, pageSize);
  const lastById = new Map<string, { index: number; leaf: Uint8Array }>();
  const shown = new Map<string, number[]>();
  const own = new Set(known.own);
  while (!walk.finished) {
    const page = await walk.next();
    page.events.forEach((e, i) => {
      const id = e.recordId!;
      lastById.set(id, { index: e.index, leaf: page.items[i]!.leaf });
      if (own.has(e.index)) shown.set(id, [...(shown.get(id) ?? []), e.index]);
    });
    if (page.last) for (const id of ids) await d.audit.rememberShown(id, lastById.get(id), shown.get(id) ?? []);
    yield { events: page.events, check, cpSize: cp.size, last: page.last };
  }
}

/**
 * [Note: H1(b) statements logged before writing] Before a member writes into a team, its
 * client reads the team's own events (GET /v1/teams/{id}/history) in a freshly verified
 * checkpoint and requires its statement events to match the chain it is about to write under,
 * one to one: as many, in order, each the same action by the same signer about the same
 * subject. A coordinator runs it before signing a statement too. A chain cut before a removal
 * (a frozen view) leaves statements the log holds out of it; a statement event deleted or
 * not logged shows while a later team event is shown (its prev links past the gap). It does
 * not catch a server that also cuts the team's events at the removal (docs/PROTOCOL.md
 * "Before writing": inclusion proofs vouch only for the events listed). A statement that came after the chain was read is told apart by reading the chain again; the
 * write then goes under the newer chain, which is returned. Each check goes on from the newest
 * team event the last one verified (its leaf hash links the next event; the statement events
 * up to it are counted), so refusals piling up under the team id cost each write only the
 * events since.
 */
export async function checkStatementsLogged(d: HistoryDeps, team: string, state: TeamState): Promise<TeamState> {
  const path = (after: number, size: number, limit: number) => `${teamPath(team)}/history?size=${size}&after=${after}&limit=${limit}`;
  const walk = async (chain: TeamState) => {
    const resume = await resumeAt(d, team);
    let last: TeamEventsCheck | undefined;
    for await (const page of walkTeamEvents(d, team, [team], path, `team ${team}`, chain, HISTORY_PAGE_MAX, resume)) last = page.check;
    return last;
  };
  let check: TeamEventsCheck | undefined;
  let current = state;
  try {
    check = await walk(state);
  } catch (err) {
    // More statement events than this chain: read the chain again once, and walk again under it.
    if (!(err instanceof ChainCutShortError)) throw err;
    current = await d.chain(team);
    if (headSeq(current) <= headSeq(state)) throw err;
    check = await walk(current);
  }
  // More events than statements failed above (ChainCutShortError): what is left is fewer.
  if (!check) fail(`team ${team}: its events were not read`);
  requireAllLogged(team, check, current);
  if (check.lastIndex >= 0) await d.audit.countStatements(team, check.lastIndex, check.logged);
  return current;
}

/**
 * Where the next check of the team's events goes on from: the newest team event this client
 * verified (kept by the audit client, index and leaf hash) when the statement events up to it
 * were counted at that same event; otherwise from the team's creation.
 */
async function resumeAt(d: HistoryDeps, team: string): Promise<Resume | undefined> {
  const [counted, known] = await Promise.all([d.audit.statementsCounted(team), d.audit.known(team)]);
  const last = known.last[0];
  if (!counted || !last || last.index !== counted.index) return undefined;
  return { from: { index: last.index, leafHash: guard('the team event remembered', () => fromBase64Url(last.hash)) }, logged: counted.count };
}

/**
 * The case's audit history, verified, a page at a time, oldest first: the records of the case
 * are those this client's verified list holds when the walk starts ([Note: a case's events]).
 * A page that fails ends the walk with AuditLogError.
 */
export async function* caseHistoryPages(d: HistoryDeps, team: string, caseId: string, options: { pageSize?: number } = {}): AsyncGenerator<CaseHistoryPage> {
  // A record written into the case between the listing and the checkpoint is an id the listing
  // lacks: met before any page was shown, the walk starts again once, from a fresh listing.
  for (let attempt = 0; ; attempt++) {
    let shown = 0;
    try {
      for await (const page of caseHistoryWalk(d, team, caseId, options)) {
        shown++;
        yield page;
      }
      return;
    } catch (err) {
      if (!(err instanceof UnknownRecordError) || attempt >= 1 || shown > 0) throw err;
    }
  }
}

async function* caseHistoryWalk(d: HistoryDeps, team: string, caseId: string, options: { pageSize?: number }): AsyncGenerator<CaseHistoryPage> {
  const recordIds = await d.caseRecords(team, caseId);
  const ids = [team, ...recordIds.filter((id) => id !== team)];
  // Read before the checkpoint, each of its statements has its event in the checkpoint's tree.
  const before = await d.chain(team);
  const path = (after: number, size: number, limit: number) => `${teamPath(team)}/cases/${encodeURIComponent(caseId)}/history?size=${size}&after=${after}&limit=${limit}`;
  for await (const page of walkTeamEvents(d, team, ids, path, `case ${caseId}`, undefined, options.pageSize)) {
    if (page.last) requireAllLogged(team, page.check, before);
    const events: CaseHistoryEvent[] = [];
    for (const e of page.events) {
      const seq = page.check.seqOf(e);
      const about = e.recordId !== team ? 'record' : seq === null ? 'team' : aboutStatement(caseId, page.check.statementAt(seq));
      if (about !== null) events.push({ ...historyEvent(e), about, seq });
    }
    yield { events, checkpointSize: page.cpSize, complete: page.last };
  }
}

/**
 * At a walk's end: every statement of a chain read before its checkpoint has its event among
 * those matched (a statement event the server left out of the case's pages, or deleted as the
 * team id's newest, fails as it does before writing).
 */
function requireAllLogged(team: string, check: TeamEventsCheck, before: TeamState): void {
  const count = headSeq(before) + 1;
  if (check.logged < count) fail(`team ${team}: the history holds ${check.logged} statement events but the chain read before its checkpoint has ${count} statements: statement ${check.logged} is not in the log`);
}

/** A statement about this case, about the team, or about another case (left out of this case's history). */
function aboutStatement(caseId: string, st: TeamState['statements'][number]): 'case' | 'team' | null {
  if (st.caseId === null) return 'team';
  return st.caseId === caseId ? 'case' : null;
}

/**
 * The case's whole audit history, verified. A record written into the case between the list
 * and the checkpoint has events the list did not know of: the history is then read once more.
 */
export async function caseHistory(d: HistoryDeps, team: string, caseId: string, options: { pageSize?: number } = {}): Promise<CaseHistoryEvent[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      const out: CaseHistoryEvent[] = [];
      for await (const page of caseHistoryPages(d, team, caseId, { pageSize: options.pageSize ?? HISTORY_PAGE_MAX })) out.push(...page.events);
      return out;
    } catch (err) {
      if (!(err instanceof UnknownRecordError) || attempt >= 1) throw err;
    }
  }
}
