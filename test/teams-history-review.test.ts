// A case's audit history and the check before signing or writing (issue 20), against the
// attacks of a review of it: a coordinator frozen before another's removal signs nothing, a
// statement the chain holds but the case history leaves out fails, another case's record put
// into the listing's failures is not this case's, a refused statement and a refused attempt at
// a case's record through another team's route are both logged where the case's readers see them.
import t from 'tap';
import { AuditLogError, MemoryStateStore, Vault } from '@testimony-vault/client';
import { decodeAuditEvent, fromBase64Url, toBase64Url } from '@testimony-vault/protocol';
import { storedMultiLeafProof } from '../server/src/audit/proofs.ts';
import { build, handle, testClient } from './helper.ts';

const server = await build(t);
const db = server.db;

interface Page { size: number; events: { leaf: string }[]; proof: string[]; next: number | null }
type Rewrite = (path: string, body: unknown, init: RequestInit | undefined, input: RequestInfo | URL) => Promise<unknown>;
interface Hooks { rewrite?: Rewrite | undefined; posts: { path: string; body: Record<string, unknown> }[]; acceptPosts: boolean; historyGets: string[]; statementPosts: Record<string, unknown>[] }

function hostileFetch(h: Hooks): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    if (method === 'POST' && /^\/v1\/teams\/[^/]+\/records$/.test(url.pathname)) {
      const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
      h.posts.push({ path: url.pathname, body });
      // A hostile server takes the write (and hands its ciphertext to whom it likes).
      if (h.acceptPosts) return Response.json({ id: body.id, version: 1 }, { status: 201 });
    }
    if (method === 'POST' && /^\/v1\/teams\/[^/]+\/statements$/.test(url.pathname)) h.statementPosts.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
    if (method === 'GET' && /\/history$/.test(url.pathname) && url.pathname.startsWith('/v1/teams/')) h.historyGets.push(url.pathname + url.search);
    const res = await fetch(input, init);
    if (!res.ok || !h.rewrite || method !== 'GET' || !url.pathname.startsWith('/v1/teams/')) return res;
    const body = await h.rewrite(url.pathname + url.search, await res.json(), init, input);
    return Response.json(body, { headers: new Headers(res.headers) });
  };
}

async function person(prefix: string) {
  const h: Hooks = { posts: [], acceptPosts: false, historyGets: [], statementPosts: [] };
  const name = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: name, passphrase: 'p', state: new MemoryStateStore(), fetch: hostileFetch(h), ...testClient });
  return { vault, handle: name, h };
}

const dec = (e: { leaf: string }) => decodeAuditEvent(fromBase64Url(e.leaf));
async function withProof(page: Page): Promise<Page> {
  const indices = page.events.map((e) => dec(e).index);
  return { ...page, proof: indices.length === 0 ? [] : (await storedMultiLeafProof(db, indices, page.size)).map(toBase64Url) };
}
const isPage = (path: string, body: unknown): body is Page => /\/history\?/.test(path) && typeof body === 'object' && body !== null && 'events' in body;
const unverified = { requireVerified: false };

t.test("case history: a record of another case, listed as this case's (so in the listing's failures), is not this case's: its events fail", async (t) => {
  const coord = await person('coord');
  const ana = await person('ana');
  const team = await coord.vault.teams.create();
  await coord.vault.teams.addMember(team, ana.handle);
  const family = await coord.vault.teams.createCase(team);
  const other = await coord.vault.teams.createCase(team);
  await coord.vault.teams.writeRecord(team, family, { title: 'f', narrative: 'n' }, unverified);
  const inOther = (await coord.vault.teams.writeRecord(team, other, { title: 'o', narrative: 'n' }, unverified)).id;
  ana.h.rewrite = async (path, body, init, input) => {
    if (path.startsWith(`/v1/teams/${team}/records?`) && path.includes(`caseId=${family}`)) {
      const u = new URL(String(input));
      u.searchParams.set('caseId', other);
      const o = (await (await fetch(u, init)).json()) as { records: { id: string; caseId: string }[] };
      const b = body as { records: unknown[] };
      return { ...b, records: [...b.records, ...o.records.filter((r) => r.id === inOther).map((r) => ({ ...r, caseId: family }))] };
    }
    if (isPage(path, body) && path.includes('/cases/')) {
      const rows = await db.selectFrom('audit_events').select(['idx', 'leaf']).where('record_id', '=', inOther).where('idx', '<', body.size).execute();
      const events = [...body.events, ...rows.map((r) => ({ leaf: toBase64Url(r.leaf) }))].sort((a, b) => dec(a).index - dec(b).index);
      return withProof({ ...body, events });
    }
    return body;
  };
  const err = await ana.vault.teams.caseHistory(team, family).then((h) => h, (e: unknown) => e);
  t.comment(Array.isArray(err) ? `passed: ${err.filter((e) => e.recordId === inOther).length} events of the other case's record shown as about 'record'` : String(err));
  t.ok(err instanceof AuditLogError, "events of another case's record are refused (docs: 'an event of another case ... fails')");
});

t.test("case history: a statement the chain held before the checkpoint (a new reviewer) whose event the history leaves out fails", async (t) => {
  const coord = await person('coord');
  const ana = await person('ana');
  const lawyer = await person('lawyer');
  const team = await coord.vault.teams.create();
  await coord.vault.teams.addMember(team, ana.handle);
  const family = await coord.vault.teams.createCase(team);
  await ana.vault.teams.writeRecord(team, family, { title: 'f', narrative: 'n' }, unverified);
  await ana.vault.teams.caseHistory(team, family);
  await coord.vault.teams.shareCase(team, family, lawyer.handle);
  const share = await db.selectFrom('audit_events').select('idx').where('record_id', '=', team).where('action', '=', 'case.share').executeTakeFirstOrThrow();
  ana.h.rewrite = async (path, body) => {
    if (!isPage(path, body) || !path.includes('/cases/')) return body;
    return withProof({ ...body, events: body.events.filter((e) => !(dec(e).recordId === team && dec(e).index >= Number(share.idx))), next: null });
  };
  const info = await ana.vault.teams.info(team);
  t.comment(`ana's chain names the lawyer: ${JSON.stringify(info).includes(lawyer.handle)}`);
  const res = await ana.vault.teams.caseHistory(team, family).then((h) => h, (e: unknown) => e);
  t.comment(Array.isArray(res) ? `passed; case.share events shown: ${res.filter((e) => e.action === 'case.share').length}` : String(res));
  t.ok(res instanceof AuditLogError, 'a statement of the chain (read before the checkpoint) missing from the log is refused, as before writing');
});

t.test("case history: a refused attempt at a case's record through another team's route, or a made-up one, is logged under the record and shown", async (t) => {
  const coord = await person('coord');
  const mallory = await person('mallory');
  const team = await coord.vault.teams.create();
  const family = await coord.vault.teams.createCase(team);
  const rec = (await coord.vault.teams.writeRecord(team, family, { title: 'f', narrative: 'n' }, unverified)).id;
  const own = await mallory.vault.teams.create();
  const http = (mallory.vault as unknown as { http: { json(m: string, p: string): Promise<unknown> } }).http;
  // The same record, asked for under mallory's own team, and under a made-up team id.
  await t.rejects(http.json('GET', `/v1/teams/${own}/records/${rec}`), { status: 404, code: 'VAULT_ERR_NOT_FOUND' }, 'refused through its own team');
  await t.rejects(http.json('GET', `/v1/teams/${crypto.randomUUID()}/records/${rec}`), { status: 404, code: 'VAULT_ERR_NOT_FOUND' }, 'refused through a made-up team');
  const history = await coord.vault.teams.caseHistory(team, family);
  const byMallory = history.filter((e) => e.actor === mallory.handle);
  t.comment(`events by mallory in the case's history: ${byMallory.length}`);
  t.equal(byMallory.length, 2, "both refused attempts at the case's record are in the case's history");
});

t.test("a refused statement (a member who is not a coordinator, a stranger) is logged under the team id, as a refused write, and blocks no one's writes", async (t) => {
  const coord = await person('coord');
  const ana = await person('ana');
  const stranger = await person('stranger');
  const team = await coord.vault.teams.create();
  await coord.vault.teams.addMember(team, ana.handle);
  const body = { statement: '{"v":1}', signature: toBase64Url(new Uint8Array(64)), teamKeys: [], caseKeys: [], shareKeys: [] };
  for (const p of [ana, stranger]) {
    const http = (p.vault as unknown as { http: { json(m: string, p: string, b: unknown): Promise<unknown> } }).http;
    await t.rejects(http.json('POST', `/v1/teams/${team}/statements`, body), p === ana ? { status: 403, code: 'VAULT_ERR_FORBIDDEN' } : { status: 404, code: 'VAULT_ERR_NOT_FOUND' }, 'refused');
  }
  const refused = await db.selectFrom('audit_events').select(['action', 'outcome']).where('record_id', '=', team).where('outcome', '!=', 'ok').execute();
  t.equal(refused.length, 2, `refused statements logged under the team id: ${refused.length}`);
  t.same(refused.map((r) => [r.action, r.outcome]), [['record.update', 'refused'], ['record.update', 'refused']], 'as a refused write, not a statement');
  // Not a statement event: the check before writing and the case history still pass.
  await ana.vault.teams.writeRecord(team, team, { title: 't', narrative: 'n' }, unverified);
  const history = await coord.vault.teams.caseHistory(team, team);
  t.equal(history.filter((e) => e.outcome === 'refused' && e.action === 'record.update').length, 2, "both shown in the general space's history");
});

t.test("H1(b) before a statement: a coordinator shown a chain cut before another's removal signs no new case under the old team epoch", async (t) => {
  const coord = await person('coord');
  const coord2 = await person('coord2');
  const beto = await person('beto');
  const team = await coord.vault.teams.create();
  await coord.vault.teams.addMember(team, coord2.handle, { role: 'coordinator' });
  await coord.vault.teams.addMember(team, beto.handle);
  const cut = (await db.selectFrom('team_statements').select('seq').where('team_id', '=', team).execute()).length;
  await coord.vault.teams.removeMember(team, beto.handle);
  // The server freezes coord2 (the log is left honest: the removal's event is there for anyone to read).
  coord2.h.rewrite = async (path, body) => {
    if (!/\/statements$/.test(path.split('?')[0]!)) return body;
    const b = body as { statements: unknown[] };
    return { ...b, statements: b.statements.slice(0, cut) };
  };
  coord2.h.statementPosts.length = 0;
  const err = await coord2.vault.teams.createCase(team).then(() => null, (e: unknown) => e);
  const sent = coord2.h.statementPosts.map((p) => JSON.parse(String(p.statement)) as { action: string; teamEpoch: number; seq: number });
  t.comment(`createCase under a frozen chain: ${String(err)}; statements sent: ${JSON.stringify(sent.map((s) => ({ action: s.action, seq: s.seq, teamEpoch: s.teamEpoch })))}`);
  t.ok(err instanceof AuditLogError, 'the coordinator checks the log before signing, as a writer does');
  t.equal(sent.length, 0, 'no new case key was sent wrapped under the team epoch the removed member holds');
});

t.test('case history pages: an honest write landing between the listing and the checkpoint is read again, not reported as tampering', async (t) => {
  const coord = await person('coord');
  const ana = await person('ana');
  const team = await coord.vault.teams.create();
  await coord.vault.teams.addMember(team, ana.handle);
  const family = await coord.vault.teams.createCase(team);
  await coord.vault.teams.writeRecord(team, family, { title: 'antes', narrative: 'n' }, unverified);
  let written: string | undefined;
  ana.h.rewrite = async (path, body) => {
    // Once, right after ana's listing was answered: another member writes into the case.
    if (written === undefined && path.startsWith(`/v1/teams/${team}/records?`)) written = (await coord.vault.teams.writeRecord(team, family, { title: 'entre', narrative: 'n' }, unverified)).id;
    return body;
  };
  const events = [];
  for await (const page of ana.vault.teams.caseHistoryPages(team, family)) events.push(...page.events);
  t.ok(written, 'a record was written between the listing and the checkpoint');
  t.ok(events.some((e) => e.recordId === written && e.action === 'record.create'), "its creation is in the case's history");
});
