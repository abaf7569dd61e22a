import t from 'tap';
import { IntegrityError, MemoryStateStore, RollbackError, Vault } from '@testimony-vault/client';
import { build, handle, testClient } from './helper.ts';

// Earlier versions of a team record (issue 20, M6): a correction does not hide the original.
// Every version is served to whoever may read the record and verified as the latest is.

const server = await build(t);
const db = server.db;

async function person(prefix: string) {
  const h = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
  return { vault, handle: h };
}
const accountId = async (h: string) => (await db.selectFrom('accounts').select('id').where('handle', '=', h).executeTakeFirstOrThrow()).id;

const coord = await person('coord');
const ana = await person('ana');
const beto = await person('beto');
const lawyer = await person('lawyer');
const team = await coord.vault.teams.create();
for (const p of [ana, beto]) await coord.vault.teams.addMember(team, p.handle);
const familyCase = await coord.vault.teams.createCase(team);
await coord.vault.teams.shareCase(team, familyCase, lawyer.handle);
const unverified = { requireVerified: false };

/** Ana writes a testimony, Beto corrects it: two versions by two authors. */
async function corrected() {
  const { id } = await ana.vault.teams.writeRecord(team, familyCase, { title: 'Familia R.', narrative: 'Vimos a tres hombres armados.' }, unverified);
  await beto.vault.teams.updateRecord(team, id, { narrative: 'No vimos a nadie.' }, unverified);
  return id;
}

t.test('ana writes, beto corrects: the coordinator reads both versions with their authors', async (t) => {
  const id = await corrected();
  const latest = await coord.vault.teams.readRecord(team, id);
  t.equal(latest.version, 2);
  t.equal(latest.author.handle, beto.handle, 'the latest is beto\'s');
  const first = await coord.vault.teams.readRecord(team, id, { version: 1 });
  t.equal(first.version, 1);
  t.equal(first.latestVersion, 2);
  t.equal(first.author.handle, ana.handle, 'version 1 is ana\'s');
  t.equal(first.fields.narrative, 'Vimos a tres hombres armados.', 'the original testimony is still readable');
  const history = await coord.vault.teams.recordVersions(team, id);
  t.same(history.map((v) => [v.version, v.author.handle, v.fields.narrative]), [
    [1, ana.handle, 'Vimos a tres hombres armados.'],
    [2, beto.handle, 'No vimos a nadie.'],
  ], 'the history names who wrote each version');
  t.ok(history.every((v) => v.writtenAt instanceof Date && !Number.isNaN(v.writtenAt.getTime())), 'and when');
  t.not(history[0]!.author.fingerprint, history[1]!.author.fingerprint, 'two authors, told apart by key too');
  t.same(history.failures, []);
  const byLawyer = await lawyer.vault.teams.recordVersions(team, id);
  t.same(byLawyer.map((v) => v.author.handle), [ana.handle, beto.handle], 'the reviewer of the case reads both versions');
  const reads = await db.selectFrom('audit_events').select('action').where('record_id', '=', id).where('actor_id', '=', await accountId(coord.handle)).where('outcome', '=', 'ok').execute();
  t.ok(reads.length >= 4 && reads.every((e) => e.action === 'record.read'), 'each version served is a read in the audit log');
});

t.test("a version's stored bytes changed in the database are refused without hiding the other", async (t) => {
  const id = await corrected();
  const row = await db.selectFrom('team_record_versions').select('body').where('record_id', '=', id).where('version', '=', 1).executeTakeFirstOrThrow();
  const body = Buffer.from(row.body);
  body[body.length - 20] = body[body.length - 20]! ^ 1;
  await db.updateTable('team_record_versions').set({ body }).where('record_id', '=', id).where('version', '=', 1).execute();
  const refused = await coord.vault.teams.readRecord(team, id, { version: 1 }).then(() => null, (err: unknown) => err);
  t.ok(refused instanceof IntegrityError, 'the changed version is refused (an IntegrityError: its signature)');
  const history = await coord.vault.teams.recordVersions(team, id);
  t.same(history.map((v) => v.version), [2], 'the untouched version is still returned');
  t.same(history.failures.map((f) => f.version), [1], 'and the changed one is named');
  t.ok(history.failures[0]!.error instanceof IntegrityError);
});

t.test('a version number that does not exist is a 404 with a stable code', async (t) => {
  const id = await corrected();
  await t.rejects(coord.vault.teams.readRecord(team, id, { version: 3 }), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  await t.rejects(coord.vault.teams.readRecord(team, id, { version: 0 }), { status: 400, code: 'VAULT_ERR_VALIDATION' }, 'a version is a positive number');
});

t.test('a non-member is refused with a 404, and the refusal is an audit event', async (t) => {
  const id = await corrected();
  const stranger = await person('stranger');
  // Straight to the route (the library would stop at the team's chain, refused first).
  const http = (stranger.vault.teams as unknown as { http: { json: (m: string, p: string) => Promise<unknown> } }).http;
  await t.rejects(http.json('GET', `/v1/teams/${team}/records/${id}?version=1`), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  const events = await db.selectFrom('audit_events').select(['action', 'outcome', 'record_id']).where('actor_id', '=', await accountId(stranger.handle)).where('record_id', 'is not', null).execute();
  t.same(events.map((e) => [e.action, e.outcome, e.record_id]), [['record.read', 'refused', id]], "logged under the record it names, so its case's history shows it");
});

t.test('the rollback memory: a version served as the latest after a newer one was seen is refused', async (t) => {
  const id = await corrected();
  await coord.vault.teams.readRecord(team, id);
  // The server rolls the record back to version 1 as its latest.
  await db.updateTable('team_records').set({ current_version: 1 }).where('id', '=', id).execute();
  const rolledBack = (p: Promise<unknown>) => p.then(() => null, (err: unknown) => err instanceof RollbackError);
  t.equal(await rolledBack(coord.vault.teams.readRecord(team, id, { version: 1 })), true, 'a latest version below the one seen (RollbackError)');
  t.equal(await rolledBack(coord.vault.teams.recordVersions(team, id)), true, 'a history that ends early (RollbackError)');
  t.equal((await ana.vault.teams.recordVersions(team, id)).length, 1, 'a client that never saw version 2 cannot tell (the audit log closes that gap)');
});

t.test("the server serves the correction's bytes as the original: refused, the correction still read", async (t) => {
  const id = await corrected();
  const v2 = await db.selectFrom('team_record_versions').selectAll().where('record_id', '=', id).where('version', '=', 2).executeTakeFirstOrThrow();
  const { record_id: _r, version: _v, created_at: _c, ...bytes } = v2;
  await db.updateTable('team_record_versions').set(bytes).where('record_id', '=', id).where('version', '=', 1).execute();
  const refused = await coord.vault.teams.readRecord(team, id, { version: 1 }).then(() => null, (err: unknown) => err);
  t.ok(refused instanceof IntegrityError, 'version 2 signed as version 2 is not version 1');
  const history = await coord.vault.teams.recordVersions(team, id);
  t.same(history.map((v) => [v.version, v.author.handle]), [[2, beto.handle]]);
  t.same(history.failures.map((f) => f.version), [1], 'the history says version 1 did not verify, rather than showing the correction twice');
});
