// A record's history a page at a time ([Note: paged history]), against the real server, and
// against the same server with its history pages rewritten the way a hostile operator
// would, each proof remade so that it verifies: every rewrite ends in AuditLogError, never
// in a short list and never in a page marked complete.
import t from 'tap';
import { AuditLogError, IntegrityError, MemoryStateStore, Vault, verifyExport, type AuditHistoryPage } from '@testimony-vault/client';
import { decodeAuditEvent, fromBase64Url, toBase64Url } from '@testimony-vault/protocol';
import { storedMultiLeafProof } from '../server/src/audit/proofs.ts';
import { build, capturingFetch, handle, testClient } from './helper.ts';

const server = await build(t);
const db = server.db;

interface Page {
  size: number;
  events: { leaf: string }[];
  proof: string[];
  next: number | null;
}
/** Rewrites a history page: given the page asked for (its cursor) and the honest answer. */
type Rewrite = (page: Page, after: number, ask: (size: number, after: number, limit: number) => Promise<Page>) => Promise<Page>;

const indexOf = (e: { leaf: string }) => decodeAuditEvent(fromBase64Url(e.leaf)).index;

/** A page as the database holds it, with its proof made honestly (what a hostile server can do). */
async function pageFrom(recordId: string, size: number, after: number, limit: number): Promise<Page> {
  const rows = await db.selectFrom('audit_events').select(['idx', 'leaf']).where('record_id', '=', recordId).where('idx', '>', after).where('idx', '<', size).orderBy('idx').limit(limit).execute();
  return withProof({ size, events: rows.map((r) => ({ leaf: toBase64Url(r.leaf) })), proof: [], next: rows.length === limit ? Number(rows[rows.length - 1]!.idx) : null });
}

/** The page's proof made anew for the events it now holds, in the tree of its size. */
async function withProof(page: Page): Promise<Page> {
  const indices = page.events.map(indexOf);
  return { ...page, proof: indices.length === 0 ? [] : (await storedMultiLeafProof(db, indices, page.size)).map(toBase64Url) };
}

function hostileFetch(h: { rewrite?: Rewrite | undefined }, send: typeof fetch): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    const m = /^\/v1\/records\/([^/]+)\/history$/.exec(url.pathname);
    const res = await send(input, init);
    if (!res.ok || !m || !h.rewrite) return res;
    const after = Number(url.searchParams.get('after'));
    const page = await h.rewrite((await res.json()) as Page, after, (size, from, limit) => pageFrom(m[1]!, size, from, limit));
    return Response.json(page, { headers: new Headers(res.headers) });
  };
}

/** An owner and a record with `reads` reads after its creation, all by the owner. */
async function recordWithEvents(reads: number) {
  const h: { rewrite?: Rewrite | undefined } = {};
  const capture = capturingFetch();
  const { vault } = await Vault.register({ server: server.url, handle: handle('own'), passphrase: 'p', state: new MemoryStateStore(), fetch: hostileFetch(h, capture.fetch), ...testClient });
  const { id } = await vault.createRecord({ title: 't', narrative: 'n' });
  for (let i = 0; i < reads; i++) await vault.getRecord(id);
  return { vault, id, h, token: () => capture.tokens[capture.tokens.length - 1]! };
}

/** Reads every page; what was shown before the failure, and the failure. */
async function readPages(vault: Vault, id: string, pageSize: number): Promise<{ pages: AuditHistoryPage[]; error: unknown }> {
  const pages: AuditHistoryPage[] = [];
  try {
    for await (const page of vault.recordHistoryPages(id, { pageSize })) pages.push(page);
    return { pages, error: undefined };
  } catch (error) {
    return { pages, error };
  }
}

t.test('an honest server: pages in order, the last one complete, the same events as the whole history and its export', async (t) => {
  const { vault, id } = await recordWithEvents(24);
  const { pages, error } = await readPages(vault, id, 10);
  t.equal(error, undefined);
  t.same(pages.map((p) => p.events.length), [10, 10, 5, 0].slice(0, pages.length), 'pages of 10 events');
  t.same(pages.map((p) => p.complete), pages.map((_, i) => i === pages.length - 1), 'only the last page is complete');
  const all = await vault.recordHistory(id);
  t.equal(all.length, 25, 'creation and 24 reads (and the reads of the pages themselves are not events)');
  t.same(pages.flatMap((p) => p.events).map((e) => e.index), all.map((e) => e.index).slice(0, 25));
  const doc = await vault.exportHistory(id);
  t.same(verifyExport(JSON.parse(JSON.stringify(doc))).map((e) => e.index), all.map((e) => e.index), 'the export made from pages verifies event by event');
  t.equal(doc.complete?.newestKnownIndex, all[all.length - 1]!.index);
});

/** Each rewrite must be caught, with at most the pages before the lie shown, none complete. */
const attacks: [string, Rewrite][] = [
  ['an event dropped from the middle of a page', async (p, after) => (after === -1 ? p : withProof({ ...p, events: p.events.filter((_, i) => i !== 4) }))],
  ['an event dropped from the middle of the first page', async (p, after) => (after !== -1 ? p : withProof({ ...p, events: p.events.filter((_, i) => i !== 4) }))],
  ['the newest page dropped: a full page said to be the last', async (p) => ({ ...p, next: null })],
  [
    'the newest page dropped: an empty last page instead',
    async (p, after, ask) => {
      const first = await ask(p.size, -1, 10);
      return after > first.next! ? { ...p, events: [], proof: [], next: null } : p;
    },
  ],
  ['the first page answered again in place of the second (out of order)', async (p, after, ask) => (after === -1 ? p : ask(p.size, -1, 10))],
  [
    'pages overlapping by one event',
    async (p, after, ask) => {
      if (after === -1) return p;
      const back = await ask(p.size, -1, 10);
      return ask(p.size, indexOf(back.events[back.events.length - 2]!), 10);
    },
  ],
  [
    "an earlier page's proof re-used",
    async (p, after, ask) => (after === -1 ? p : { ...p, proof: (await ask(p.size, -1, 10)).proof }),
  ],
  ['a page answered against a smaller tree than the first (its size said)', async (p, after, ask) => (after === -1 ? p : ask(p.size - 1, after, 10))],
  ['a page proven in a smaller tree, the size left as it was', async (p, after, ask) => (after === -1 ? p : { ...p, proof: (await ask(p.size - 1, after, 10)).proof })],
  ['a page longer than the limit', async (p, after, ask) => (after === -1 ? p : ask(p.size, after, 11))],
  ['a cursor that does not advance', async (p, after) => (after === -1 ? { ...p, next: after } : p)],
];

for (const [what, rewrite] of attacks) {
  t.test(`caught: ${what}`, async (t) => {
    const { vault, id, h } = await recordWithEvents(24);
    await vault.recordHistory(id); // honest: what it saw is remembered
    await vault.getRecord(id); // and its newest own access is told
    h.rewrite = rewrite;
    const { pages, error } = await readPages(vault, id, 10);
    t.ok(error instanceof AuditLogError && error instanceof IntegrityError, `refused: ${String(error)}`);
    t.notOk(pages.some((p) => p.complete), 'no page was shown as the complete history');
    await t.rejects(vault.recordHistory(id, { pageSize: 10 }), AuditLogError, 'recordHistory refuses it');
    await t.rejects(vault.exportHistory(id, { pageSize: 10 }), AuditLogError, 'exportHistory refuses it');
    h.rewrite = undefined;
    t.equal((await vault.recordHistory(id, { pageSize: 10 })).length, 26, 'the honest answer still passes');
  });
}

t.test('the page size is checked before anything is asked', async (t) => {
  const { vault, id } = await recordWithEvents(0);
  for (const pageSize of [0, 1001, 1.5]) await t.rejects(readPages(vault, id, pageSize).then((r) => Promise.reject(r.error)), RangeError, `page size ${pageSize}`);
});

t.test('the route: a bad limit, cursor or size is a 400; no session a 401; a stranger a 404; a page past the end is empty', async (t) => {
  const { id, token } = await recordWithEvents(2);
  const stranger = await recordWithEvents(0);
  const ask = (query: string, bearer = token()) => fetch(`${server.url}/v1/records/${id}/history?${query}`, { headers: { authorization: `Bearer ${bearer}` } });
  const size = Number((await db.selectFrom('audit_events').select(db.fn.max('idx').as('n')).executeTakeFirstOrThrow()).n) + 1;
  for (const q of ['', `size=${size}&limit=0`, `size=${size}&limit=1001`, `size=${size}&after=-2`, `size=${size + 1000}`, 'size=x', `size=${size}&after=1.5`]) {
    const res = await ask(q);
    t.equal(res.status, 400, `?${q}: 400`);
    t.equal(((await res.json()) as { code: string }).code, 'VAULT_ERR_VALIDATION');
  }
  t.equal((await fetch(`${server.url}/v1/records/${id}/history?size=${size}`)).status, 401, 'no session');
  t.equal((await ask(`size=${size}`, stranger.token())).status, 404, "someone else's record");
  const first = (await (await ask(`size=${size}&limit=2`)).json()) as Page;
  t.equal(first.events.length, 2);
  t.equal(first.next, indexOf(first.events[1]!), 'a full page names its last index');
  const rest = (await (await ask(`size=${size}&after=${first.next}&limit=2`)).json()) as Page;
  t.same([rest.events.length, rest.next], [1, null], 'the last page says none follows');
  const past = (await (await ask(`size=${size}&after=${size}`)).json()) as Page;
  t.same(past, { size, events: [], proof: [], next: null }, 'past the end: empty, no proof');
});
