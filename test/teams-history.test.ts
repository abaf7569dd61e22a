// A case's audit history (issue 20: "the audit history of a case shows every access to any of
// its records"), and the check before a member writes that the team's statements in the log
// are the chain's, one to one (THREAT-MODEL H1(b)). Against the real server, and against the
// same server answering the way a hostile operator would (pages rewritten with their proofs
// remade, rows deleted from the database, a chain cut before a removal): each ends in
// AuditLogError, and a writer shown such a log writes nothing.
import t from 'tap';
import { AuditLogError, MemoryStateStore, Vault } from '@testimony-vault/client';
import { decodeAuditEvent, fromBase64Url, toBase64Url } from '@testimony-vault/protocol';
import { storedMultiLeafProof } from '../server/src/audit/proofs.ts';
import { build, handle, testClient } from './helper.ts';

const server = await build(t);
const db = server.db;

interface Page {
  size: number;
  events: { leaf: string }[];
  proof: string[];
  next: number | null;
}
/** Rewrites an answer: a history page (given the route's path), or the chain of statements. */
type Rewrite = (path: string, body: unknown) => Promise<unknown>;

function hostileFetch(h: { rewrite?: Rewrite | undefined; asked?: string[] }): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    h.asked?.push(url.pathname + url.search);
    const res = await fetch(input, init);
    if (!res.ok || !h.rewrite || (init?.method ?? 'GET') !== 'GET' || !url.pathname.startsWith('/v1/teams/')) return res;
    const body = await h.rewrite(url.pathname + url.search, await res.json());
    return Response.json(body, { headers: new Headers(res.headers) });
  };
}

async function person(prefix: string) {
  const h: { rewrite?: Rewrite | undefined; asked: string[] } = { asked: [] };
  const name = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: name, passphrase: 'p', state: new MemoryStateStore(), fetch: hostileFetch(h), ...testClient });
  return { vault, handle: name, h };
}

const indexOf = (e: { leaf: string }) => decodeAuditEvent(fromBase64Url(e.leaf)).index;
const recordOf = (e: { leaf: string }) => decodeAuditEvent(fromBase64Url(e.leaf)).recordId;

/** The page's proof made anew for the events it now holds (what a hostile server can do). */
async function withProof(page: Page, size = page.size): Promise<Page> {
  const indices = page.events.map(indexOf);
  return { ...page, proof: indices.length === 0 ? [] : (await storedMultiLeafProof(db, indices, size)).map(toBase64Url) };
}
const isPage = (path: string, body: unknown): body is Page => /\/history\?/.test(path) && typeof body === 'object' && body !== null && 'events' in body;
const unverified = { requireVerified: false };

/** A team with a case and another case, a record in each by a member, a reviewer of the first. */
async function world() {
  const coord = await person('coord');
  const ana = await person('ana');
  const lawyer = await person('lawyer');
  const stranger = await person('stranger');
  const team = await coord.vault.teams.create();
  await coord.vault.teams.addMember(team, ana.handle);
  const family = await coord.vault.teams.createCase(team);
  const other = await coord.vault.teams.createCase(team);
  await coord.vault.teams.shareCase(team, family, lawyer.handle);
  const inFamily = (await ana.vault.teams.writeRecord(team, family, { title: 'Familia R.', narrative: 'Llegaron el martes.' }, unverified)).id;
  const inOther = (await ana.vault.teams.writeRecord(team, other, { title: 'Otro caso', narrative: 'n' }, unverified)).id;
  await coord.vault.teams.readRecord(team, inFamily);
  return { coord, ana, lawyer, stranger, team, family, other, inFamily, inOther };
}

const w = await world();

t.test("a case's history: every access to its records, its statements and the team's, nothing of the other case", async (t) => {
  await t.rejects(w.stranger.vault.teams.readRecord(w.team, w.inFamily), { status: 404, code: 'VAULT_ERR_NOT_FOUND' }, 'a stranger is refused');
  const history = await w.coord.vault.teams.caseHistory(w.team, w.family);
  const line = (e: (typeof history)[number]) => `${e.about} ${e.action} ${e.outcome} ${e.actor} ${e.recordId === w.team ? 'team' : e.recordId === w.inFamily ? 'rec' : e.recordId}`;
  const lines = history.map(line);
  t.ok(lines.includes(`record record.create ok ${w.ana.handle} rec`), 'ana writing the testimony');
  t.ok(lines.includes(`record record.read ok ${w.coord.handle} rec`), 'the coordinator reading it');
  t.ok(lines.includes(`team record.read refused ${w.stranger.handle} team`), "the stranger's refused attempt (logged under the team)");
  t.ok(lines.includes(`case case.share ok ${w.coord.handle} team`), 'the case shared with the lawyer');
  t.ok(lines.includes(`team team.add ok ${w.coord.handle} team`), 'ana added to the team');
  t.equal(history.filter((e) => e.action === 'case.create').length, 1, "only this case's creation, not the other's");
  t.notOk(history.some((e) => e.recordId === w.inOther), 'no event about a record of the other case');
  t.same(history.map((e) => e.index), [...history.map((e) => e.index)].sort((a, b) => a - b), 'oldest first');
  const share = history.find((e) => e.action === 'case.share')!;
  t.equal(share.subject, w.lawyer.handle);
  t.type(share.seq, 'number', 'a statement event names its seq in the chain');

  const byLawyer = await w.lawyer.vault.teams.caseHistory(w.team, w.family);
  t.ok(byLawyer.some((e) => e.action === 'record.read' && e.actor === w.coord.handle && e.recordId === w.inFamily), 'the reviewer sees who read the case\'s records');
  const byAna = await w.ana.vault.teams.caseHistory(w.team, w.family);
  t.ok(byAna.some((e) => e.action === 'record.read' && e.actor === w.lawyer.handle), "a member sees the lawyer's reads (the lawyer's own listing)");
});

t.test('whoever may not read the case gets a 404, logged as a refused team route', async (t) => {
  const other = await person('other');
  await t.rejects(other.vault.teams.caseHistory(w.team, w.family), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  const refused = await db.selectFrom('audit_events').innerJoin('accounts', 'accounts.id', 'audit_events.actor_id').select(['action', 'outcome'])
    .where('record_id', '=', w.team).where('accounts.handle', '=', other.handle).execute();
  t.same(refused, [{ action: 'record.read', outcome: 'refused' }], 'one refused read under the team id');
  // The lawyer reviews the family's case only.
  await t.rejects(w.lawyer.vault.teams.caseHistory(w.team, w.other), { status: 404, code: 'VAULT_ERR_NOT_FOUND' }, "the reviewer of one case is refused another case's history");
  const lawyers = await db.selectFrom('audit_events').innerJoin('accounts', 'accounts.id', 'audit_events.actor_id').select(['action', 'outcome'])
    .where('record_id', '=', w.team).where('accounts.handle', '=', w.lawyer.handle).execute();
  t.same(lawyers, [{ action: 'record.read', outcome: 'refused' }], "the history route's refusal is logged under the team id");
});


t.test('a rewritten page of the case history is an AuditLogError', async (t) => {
  const rewrites: Record<string, (page: Page) => Promise<Page>> = {
    'an event of a record of the case dropped': async (p) => {
      const ofRecord = p.events.filter((e) => recordOf(e) === w.inFamily);
      t.ok(ofRecord.length >= 3, 'the record has events before and after the one dropped');
      return withProof({ ...p, events: p.events.filter((e) => e !== ofRecord[1]) });
    },
    "an event from the other case's record added": async (p) => {
      const rows = await db.selectFrom('audit_events').select(['idx', 'leaf']).where('record_id', '=', w.inOther).where('idx', '<', p.size).execute();
      const events = [...p.events, ...rows.map((r) => ({ leaf: toBase64Url(r.leaf) }))].sort((a, b) => indexOf(a) - indexOf(b));
      return withProof({ ...p, events });
    },
    'two events moved (swapped)': async (p) => {
      const events = [...p.events];
      [events[2], events[3]] = [events[3]!, events[2]!];
      return { ...p, events };
    },
    'a proof from another size': async (p) => {
      // The tree grows by one event (someone's refused read), and the page is proven in it.
      await t.rejects(w.stranger.vault.getRecord(crypto.randomUUID()), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
      return withProof(p, p.size + 1);
    },
    'the newest events dropped': async (p) => withProof({ ...p, events: p.events.slice(0, -3) }),
  };
  for (const [name, rewrite] of Object.entries(rewrites)) {
    w.coord.h.rewrite = async (path, body) => (isPage(path, body) && path.includes('/cases/') ? rewrite(body) : body);
    const err = await w.coord.vault.teams.caseHistory(w.team, w.family).then(() => null, (e: unknown) => e);
    t.ok(err instanceof AuditLogError, `${name}: AuditLogError (${String(err)})`);
  }
  w.coord.h.rewrite = undefined;
  t.ok((await w.coord.vault.teams.caseHistory(w.team, w.family)).length > 0, 'the honest answer still passes');
});

t.test('an event of a record deleted from the database is an AuditLogError', async (t) => {
  const x = await world();
  await x.coord.vault.teams.readRecord(x.team, x.inFamily);
  const rows = await db.selectFrom('audit_events').select('idx').where('record_id', '=', x.inFamily).orderBy('idx').execute();
  t.ok(rows.length >= 3);
  await db.deleteFrom('audit_events').where('idx', '=', rows[1]!.idx).execute();
  await t.rejects(x.lawyer.vault.teams.caseHistory(x.team, x.family), AuditLogError, 'the chain of the record breaks where the event was');
});

t.test('a statement event deleted from the database: the member refuses to write', async (t) => {
  const x = await world();
  // A statement after the member's last check (the events it verified before are not read again).
  await x.coord.vault.teams.createCase(x.team);
  await x.coord.vault.teams.readRecord(x.team, x.inFamily); // so the row deleted is not the log's last
  const created = await db.selectFrom('audit_events').select('idx').where('record_id', '=', x.team).where('action', '=', 'case.create').orderBy('idx', 'desc').executeTakeFirstOrThrow();
  await db.deleteFrom('audit_events').where('idx', '=', created.idx).execute();
  const before = await db.selectFrom('team_records').select('id').where('team_id', '=', x.team).execute();
  await t.rejects(x.ana.vault.teams.writeRecord(x.team, x.family, { title: 't', narrative: 'n' }, unverified), AuditLogError);
  const after = await db.selectFrom('team_records').select('id').where('team_id', '=', x.team).execute();
  t.equal(after.length, before.length, 'nothing was written');
});

t.test("the team's statement events answered without the newest: the member refuses to write", async (t) => {
  const x = await world();
  await x.coord.vault.teams.createCase(x.team);
  x.ana.h.rewrite = async (path, body) => {
    if (!isPage(path, body) || !/\/teams\/[^/]+\/history/.test(path)) return body;
    const last = [...body.events].reverse().find((e) => decodeAuditEvent(fromBase64Url(e.leaf)).action.startsWith('case.'));
    return withProof({ ...body, events: body.events.filter((e) => e !== last) });
  };
  await t.rejects(x.ana.vault.teams.writeRecord(x.team, x.family, { title: 't', narrative: 'n' }, unverified), AuditLogError);
  x.ana.h.rewrite = undefined;
  await x.ana.vault.teams.writeRecord(x.team, x.family, { title: 't', narrative: 'n' }, unverified);
  t.pass('the honest answer lets her write');
});

t.test('a chain cut before a removal (a frozen view): the log holds the removal, the member refuses to write', async (t) => {
  const coord = await person('coord');
  const ana = await person('ana');
  const beto = await person('beto');
  const team = await coord.vault.teams.create();
  await coord.vault.teams.addMember(team, ana.handle);
  await coord.vault.teams.addMember(team, beto.handle);
  const cut = (await db.selectFrom('team_statements').select('seq').where('team_id', '=', team).execute()).length;
  await coord.vault.teams.removeMember(team, beto.handle);
  // Ana's client is shown the chain as it was before beto's removal, which beto still holds keys of.
  ana.h.rewrite = async (path, body) => {
    if (!/\/statements$/.test(path.split('?')[0]!)) return body;
    const b = body as { statements: unknown[] };
    return { ...b, statements: b.statements.slice(0, cut) };
  };
  const before = await db.selectFrom('team_records').select('id').where('team_id', '=', team).execute();
  const err = await ana.vault.teams.writeRecord(team, team, { title: 't', narrative: 'n' }, unverified).then(() => null, (e: unknown) => e);
  t.ok(err instanceof AuditLogError, `AuditLogError (${String(err)})`);
  t.match(String(err), /frozen view/);
  t.equal((await db.selectFrom('team_records').select('id').where('team_id', '=', team).execute()).length, before.length, 'nothing was written');
});

t.test("the check before writing goes on from the team's newest verified event, and still catches a statement event deleted after it", async (t) => {
  const x = await world();
  const more = [await person('carla'), await person('dario'), await person('elena')];
  const teamPages = () => x.ana.h.asked.filter((p) => /^\/v1\/teams\/[^/]+\/history\?/.test(p));
  await x.coord.vault.teams.addMember(x.team, more[0]!.handle);
  x.ana.h.asked.length = 0;
  await x.ana.vault.teams.writeRecord(x.team, x.family, { title: 't2', narrative: 'n' }, unverified);
  const after = teamPages().map((p) => Number(new URL(p, server.url).searchParams.get('after')));
  t.equal(after.length, 1, 'one page of the team\'s events');
  const verifiedBefore = await db.selectFrom('audit_events').select('idx').where('record_id', '=', x.team).where('action', '=', 'case.share').executeTakeFirstOrThrow();
  t.ok(after[0]! >= Number(verifiedBefore.idx), `asked after index ${after[0]}, not from the creation`);

  // Two members added; the first one's event deleted from the database.
  await x.coord.vault.teams.addMember(x.team, more[1]!.handle);
  await x.coord.vault.teams.addMember(x.team, more[2]!.handle);
  const adds = await db.selectFrom('audit_events').select('idx').where('record_id', '=', x.team).where('action', '=', 'team.add').orderBy('idx', 'desc').limit(2).execute();
  await db.deleteFrom('audit_events').where('idx', '=', adds[1]!.idx).execute();
  const before = await db.selectFrom('team_records').select('id').where('team_id', '=', x.team).execute();
  await t.rejects(x.ana.vault.teams.writeRecord(x.team, x.family, { title: 't3', narrative: 'n' }, unverified), AuditLogError, 'the chain from the event verified before breaks');
  t.equal((await db.selectFrom('team_records').select('id').where('team_id', '=', x.team).execute()).length, before.length, 'nothing was written');
});
