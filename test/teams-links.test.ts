import t, { type Test } from 'tap';
import { randomBytes, randomUUID } from 'node:crypto';
import { Migrator, sql } from 'kysely';
import { IntegrityError, MemoryStateStore, Vault } from '@testimony-vault/client';
import { caseKeyLinkAad, caseKeyShareContext, caseKeyWrapAad, concat, parseTeamStatement, teamRecordKeyAad } from '@testimony-vault/protocol';
import { migrations } from '../migrations/index.ts';
import type { Unlocked } from '../client-lib/src/account/session.ts';
import { open } from '../client-lib/src/crypto/aead.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { wrapCaseKeyLink } from '../client-lib/src/teams/keys.ts';
import { build, handle, testClient, testDatabase } from './helper.ts';

// Bounded removals (docs/PROTOCOL.md "Key hierarchy", [Note: case key links], [Note: the case
// key list]): a removal wraps one new key and one link per case, whatever came before; a
// member added later walks the links back to the oldest records; and a link or list the
// server edits, swaps or drops is caught, with nothing written under what it gives.

const server = await build(t);
const db = server.db;
const s = await sodiumReady();

type Body = Record<string, unknown>;

interface Person {
  vault: Vault;
  handle: string;
  /** Bodies of the statements this person's client posted. */
  posted: string[];
  /** Rewrites the next statement body this person's client posts (a modified client). */
  tamper: { fn: ((body: Body) => Body) | null };
}

function recording(posted: string[], tamper: Person['tamper']): typeof fetch {
  return async (input, init) => {
    if ((init?.method ?? 'GET') === 'POST' && /\/statements$/.test(new URL(String(input)).pathname)) {
      if (tamper.fn) init = { ...init, body: JSON.stringify(tamper.fn(JSON.parse(String(init?.body)) as Body)) };
      posted.push(String(init?.body));
    }
    return fetch(input, init);
  };
}

async function person(prefix: string): Promise<Person> {
  const h = handle(prefix);
  const posted: string[] = [];
  const tamper: Person['tamper'] = { fn: null };
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state: new MemoryStateStore(), fetch: recording(posted, tamper), ...testClient });
  return { vault, handle: h, posted, tamper };
}

/** The same account on a new device: no chain remembered, no key held. */
const freshDevice = (p: Person) => Vault.login({ server: server.url, handle: p.handle, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
/** Refused with an IntegrityError or one of its kinds (DecryptionError, SignatureError, RollbackError). */
async function refusedAsIntegrity(t: Test, p: Promise<unknown>, what: string, message?: RegExp): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  t.ok(err instanceof IntegrityError && (!message || message.test(err.message)), what, { error: err instanceof Error ? `${err.name}: ${err.message}` : err });
}
const keysOf = (v: Vault) => (v as unknown as { me: Unlocked }).me;
const versions = async (recordId: string) => (await db.selectFrom('team_record_versions').select('version').where('record_id', '=', recordId).execute()).length;
const link = (team: string, caseId: string, caseEpoch: number) =>
  db.selectFrom('team_case_key_links').select('wrapped').where('team_id', '=', team).where('case_id', '=', caseId).where('case_epoch', '=', caseEpoch).executeTakeFirstOrThrow();
const setLink = (team: string, caseId: string, caseEpoch: number, wrapped: Buffer) =>
  db.updateTable('team_case_key_links').set({ wrapped }).where('team_id', '=', team).where('case_id', '=', caseId).where('case_epoch', '=', caseEpoch).execute();
const removals = (team: string) =>
  db.selectFrom('team_statements').select(['seq', 'body', 'case_key_list']).where('team_id', '=', team).orderBy('seq').execute().then((rows) => rows.filter((r) => parseTeamStatement(r.body).action === 'remove'));

t.test('a removal costs the same after many removals: one key and one link per case, and a statement of the same small size', async (t) => {
  const CASES = 40;
  const REMOVALS = 8;
  const coordinator = await person('coord');
  const team = await coordinator.vault.teams.create();
  for (let i = 0; i < CASES; i++) await coordinator.vault.teams.createCase(team);
  const staff: Person[] = [];
  for (let i = 0; i < REMOVALS; i++) {
    staff.push(await person(`staff${i}`));
    await coordinator.vault.teams.addMember(team, staff[i]!.handle);
  }
  const sent: { bytes: number; statement: number; caseKeys: number; links: number }[] = [];
  for (const p of staff) {
    coordinator.posted.length = 0;
    await coordinator.vault.teams.removeMember(team, p.handle);
    const body = coordinator.posted[0]!;
    const b = JSON.parse(body) as { statement: string; caseKeys: unknown[]; caseKeyLinks: unknown[] };
    sent.push({ bytes: body.length, statement: b.statement.length, caseKeys: b.caseKeys.length, links: b.caseKeyLinks.length });
  }
  const cases = CASES + 1; // and the general space
  t.ok(sent.every((x) => x.caseKeys === cases && x.links === cases), `each removal wraps ${cases} case keys and ${cases} links`, { sent });
  const first = sent[0]!;
  const last = sent[sent.length - 1]!;
  // Before, removal r carried cases·(r + 1) wrapped keys: the 8th sent 76 KB against the first's 23 KB (run at 007a73b9).
  t.ok(last.bytes <= first.bytes * 1.05, `the ${REMOVALS}th removal's request (${last.bytes} B) is no bigger than the first's (${first.bytes} B)`);
  t.ok(sent.every((x) => Math.abs(x.statement - first.statement) <= 16), 'every removal statement has the same size');
  // Before, a removal statement named every case's epoch: 5,503 bytes here (at 007a73b9).
  t.ok(last.statement < 1500, `a removal statement in a team of ${cases} cases is ${last.statement} bytes`);
  const info = await (await freshDevice(coordinator)).teams.info(team);
  t.equal(info.teamEpoch, REMOVALS + 1, 'and the chain replays on a new device');
  t.ok(info.cases.every((c) => c.caseEpoch === REMOVALS + 1));
});

t.test('a member added after several rotations reads the oldest records, by the links; so does a reviewer shared later', async (t) => {
  const coordinator = await person('coord');
  const ana = await person('ana');
  const beto = await person('beto');
  const carol = await person('carol');
  const dave = await person('dave');
  const lawyer = await person('lawyer');
  const lawyer2 = await person('lawyer2');
  const team = await coordinator.vault.teams.create();
  const caseId = await coordinator.vault.teams.createCase(team);
  for (const p of [ana, beto, carol]) await coordinator.vault.teams.addMember(team, p.handle);
  const oldest = await ana.vault.teams.writeRecord(team, caseId, { title: 'el primero', narrative: 'de la época 1' }, { requireVerified: false });
  const general = await ana.vault.teams.writeRecord(team, team, { title: 'general', narrative: 'también de la época 1' }, { requireVerified: false });
  await coordinator.vault.teams.shareCase(team, caseId, lawyer.handle);
  await coordinator.vault.teams.revokeCase(team, caseId, lawyer.handle);
  await coordinator.vault.teams.removeMember(team, beto.handle);
  await coordinator.vault.teams.removeMember(team, carol.handle);
  const middle = await ana.vault.teams.writeRecord(team, caseId, { title: 'del medio', narrative: 'época 4' }, { requireVerified: false });

  await coordinator.vault.teams.addMember(team, dave.handle);
  const served = await db.selectFrom('team_case_keys').select(['case_id', 'case_epoch']).where('team_id', '=', team).where('team_epoch', '=', 3).execute();
  t.same(served.map((k) => k.case_epoch).sort(), [3, 4], 'only the newest epoch of each case is wrapped under the team key dave gets');
  t.equal((await dave.vault.teams.readRecord(team, oldest.id)).fields.narrative, 'de la época 1', 'dave reads the oldest record of the case (epoch 1 of 4)');
  t.equal((await dave.vault.teams.readRecord(team, general.id)).fields.narrative, 'también de la época 1', 'and of the general space');
  const listed = await dave.vault.teams.listRecords(team);
  t.same(listed.failures, []);
  t.same(listed.map((r) => r.id).sort(), [oldest.id, general.id, middle.id].sort());

  await coordinator.vault.teams.shareCase(team, caseId, lawyer2.handle);
  const sealed = await db.selectFrom('team_share_keys').select('case_epoch').where('team_id', '=', team).where('case_id', '=', caseId).execute();
  t.same(sealed.map((k) => k.case_epoch).sort(), [1, 4], 'a share seals the current epoch only (epoch 1 was the revoked lawyer\'s)');
  t.equal((await lawyer2.vault.teams.readRecord(team, oldest.id)).fields.narrative, 'de la época 1', 'the reviewer shared later reads the oldest record');
});

/** A team of a coordinator and ana, a case with a record of epoch 1, and two removals: the case is at epoch 3. */
async function rotatedTeam() {
  const coordinator = await person('coord');
  const ana = await person('ana');
  const gone = [await person('beto'), await person('carol')];
  const team = await coordinator.vault.teams.create();
  const caseId = await coordinator.vault.teams.createCase(team);
  await coordinator.vault.teams.addMember(team, ana.handle);
  for (const p of gone) await coordinator.vault.teams.addMember(team, p.handle);
  const { id } = await coordinator.vault.teams.writeRecord(team, caseId, { title: 'antiguo', narrative: 'época 1' });
  for (const p of gone) await coordinator.vault.teams.removeMember(team, p.handle);
  return { coordinator, ana, team, caseId, record: id };
}

t.test('a link edited, swapped between cases or epochs, or wrapping a key not committed to: refused, nothing written', async (t) => {
  const { ana, team, caseId, record } = await rotatedTeam();
  const real = (await link(team, caseId, 3)).wrapped;
  const reader = await freshDevice(ana);
  t.equal((await reader.teams.readRecord(team, record)).fields.narrative, 'época 1', 'a new device of ana reads the epoch-1 record by the links');
  const attempt = async (what: string, message?: RegExp) => {
    const device = await freshDevice(ana);
    await refusedAsIntegrity(t, device.teams.readRecord(team, record), what, message);
    const before = await versions(record);
    await refusedAsIntegrity(t, device.teams.updateRecord(team, record, { title: 'cambiado' }, { requireVerified: false }), `${what}: no correction is written`);
    t.equal(await versions(record), before, 'nothing was stored');
  };

  const flipped = Buffer.from(real);
  flipped[flipped.length - 1]! ^= 1;
  await setLink(team, caseId, 3, flipped);
  await attempt('a link with one bit changed');
  await setLink(team, caseId, 3, (await link(team, team, 3)).wrapped);
  await attempt("the general space's link served for the case");
  await setLink(team, caseId, 3, (await link(team, caseId, 2)).wrapped);
  await attempt("epoch 2's link served as epoch 3's");
  // A link that opens (made with the real key of epoch 3, say by someone who held it) but holds a key of its own.
  const epoch3 = reader.teams.held.get(team)!.caseKeys.get(`${caseId}#3`)!;
  const other = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  await setLink(team, caseId, 3, Buffer.from(wrapCaseKeyLink(s, epoch3, team, caseId, 3, other)));
  await attempt('a key the chain did not commit to', /not the key the signed chain committed to/);
  await db.deleteFrom('team_case_key_links').where('team_id', '=', team).where('case_id', '=', caseId).where('case_epoch', '=', 3).execute();
  await t.rejects((await freshDevice(ana)).teams.readRecord(team, record), /holds no key/, 'a link withheld: no key, nothing else tried');

  await db.insertInto('team_case_key_links').values({ team_id: team, case_id: caseId, case_epoch: 3, wrapped: real }).execute();
  t.equal((await (await freshDevice(ana)).teams.readRecord(team, record)).fields.narrative, 'época 1', 'the real link opens it again');
});

t.test('the server refuses a removal without its links, or whose list does not match its digest: a 4xx, nothing stored', async (t) => {
  const coordinator = await person('coord');
  const beto = await person('beto');
  const team = await coordinator.vault.teams.create();
  await coordinator.vault.teams.createCase(team);
  await coordinator.vault.teams.addMember(team, beto.handle);
  const statements = async () => (await db.selectFrom('team_statements').select('seq').where('team_id', '=', team).execute()).length;
  const before = await statements();
  const flipLast = (text: string) => {
    const b = Buffer.from(text, 'base64url');
    b[b.length - 1]! ^= 1;
    return b.toString('base64url');
  };
  const cases: [string, (b: Body) => Body][] = [
    ['no links', (b) => ({ ...b, caseKeyLinks: [] })],
    ['a link missing', (b) => ({ ...b, caseKeyLinks: (b.caseKeyLinks as unknown[]).slice(1) })],
    ['no list', (b) => ({ ...b, caseKeyList: null })],
    ['a commitment changed in the list', (b) => ({ ...b, caseKeyList: flipLast(b.caseKeyList as string) })],
    ['a list cut inside an entry', (b) => ({ ...b, caseKeyList: Buffer.from(b.caseKeyList as string, 'base64url').subarray(0, 51).toString('base64url') })],
    ['a list that is not base64url', (b) => ({ ...b, caseKeyList: '!!' })],
  ];
  for (const [what, fn] of cases) {
    coordinator.tamper.fn = fn;
    const err = await coordinator.vault.teams.removeMember(team, beto.handle).then(() => null, (e: { status?: number; code?: string }) => e);
    t.ok(err && err.status === 400, `${what}: refused with 400 (${err?.code})`);
  }
  coordinator.tamper.fn = null;
  t.equal(await statements(), before, 'no statement was stored');
  t.equal((await db.selectFrom('team_case_key_links').select('case_id').where('team_id', '=', team).execute()).length, 0, 'no link either');
  await coordinator.vault.teams.removeMember(team, beto.handle);
  t.equal(await statements(), before + 1, 'the untouched removal is stored');
});

t.test('a case key list edited, moved to another removal or dropped: refused, nothing written', async (t) => {
  const { ana, team, caseId } = await rotatedTeam();
  t.ok((await ana.vault.teams.info(team)).headSeq > 0, 'ana verified the chain with its lists');
  const [first, second] = await removals(team);
  const records = async () => (await db.selectFrom('team_records').select('id').where('team_id', '=', team).execute()).length;
  const count = await records();
  const attempt = async (what: string) => {
    await refusedAsIntegrity(t, (await freshDevice(ana)).teams.info(team), `${what}: a new device refuses the chain`);
    await refusedAsIntegrity(t, ana.vault.teams.writeRecord(team, caseId, { title: 'x', narrative: 'y' }, { requireVerified: false }), `${what}: a device that verified it before too`);
    t.equal(await records(), count, 'nothing was written');
  };
  const setList = (seq: number, list: Buffer | null) => db.updateTable('team_statements').set({ case_key_list: list }).where('team_id', '=', team).where('seq', '=', seq).execute();

  const edited = Buffer.from(second!.case_key_list!);
  edited[edited.length - 1]! ^= 1; // the last commitment
  await setList(second!.seq, edited);
  await attempt('a commitment changed in the list');
  await setList(second!.seq, first!.case_key_list);
  await attempt("the first removal's list served for the second");
  await setList(second!.seq, null);
  await attempt('the list dropped');
  await setList(second!.seq, Buffer.concat([second!.case_key_list!, second!.case_key_list!.subarray(0, 52)]));
  await attempt('an entry added');

  await setList(second!.seq, second!.case_key_list);
  t.ok((await ana.vault.teams.writeRecord(team, caseId, { title: 'x', narrative: 'y' }, { requireVerified: false })).id, 'the real list: ana writes again');
});

t.test('a reviewer checks the key sealed to it at a removal against the list, and a removed member opens no new key or link', async (t) => {
  const coordinator = await person('coord');
  const beto = await person('beto');
  const lawyer = await person('lawyer');
  const team = await coordinator.vault.teams.create();
  const caseId = await coordinator.vault.teams.createCase(team);
  await coordinator.vault.teams.addMember(team, beto.handle);
  await coordinator.vault.teams.shareCase(team, caseId, lawyer.handle);
  const before = await coordinator.vault.teams.writeRecord(team, caseId, { title: 'antes', narrative: 'n' });
  await beto.vault.teams.readRecord(team, before.id);
  await beto.vault.teams.readRecord(team, (await coordinator.vault.teams.writeRecord(team, team, { title: 'g', narrative: 'n' })).id);
  const betoKeys = [...beto.vault.teams.held.get(team)!.caseKeys.values(), ...beto.vault.teams.held.get(team)!.teamKeys.values()];
  await coordinator.vault.teams.removeMember(team, beto.handle);
  const after = await coordinator.vault.teams.writeRecord(team, caseId, { title: 'después', narrative: 'n' });

  // Everything the removal stored: no key beto held opens a link, a wrapped case key or the new record's key.
  const links = await db.selectFrom('team_case_key_links').select(['case_id', 'case_epoch', 'wrapped']).where('team_id', '=', team).execute();
  const wrapped = await db.selectFrom('team_case_keys').select(['case_id', 'case_epoch', 'wrapped']).where('team_id', '=', team).where('team_epoch', '=', 2).execute();
  const record = await db.selectFrom('team_record_versions').select('wrapped_key').where('record_id', '=', after.id).executeTakeFirstOrThrow();
  t.equal(links.length, 2, 'a link for each case');
  const blobs = [
    ...links.map((l) => ({ blob: l.wrapped, ad: caseKeyLinkAad(team, l.case_id, l.case_epoch) })),
    ...wrapped.map((w) => ({ blob: w.wrapped, ad: caseKeyWrapAad(team, w.case_id, w.case_epoch, 2) })),
    { blob: record.wrapped_key, ad: teamRecordKeyAad(team, caseId, after.id, 1, 2) },
  ];
  const opens = (keys: Uint8Array[], x: { blob: Buffer; ad: Uint8Array }) => keys.some((k) => {
    try {
      open(s, k, x.blob, x.ad, 'x');
      return true;
    } catch {
      return false;
    }
  });
  t.notOk(blobs.some((x) => opens(betoKeys, x)), `none of the ${blobs.length} opens with any of the ${betoKeys.length} keys beto held`);
  const held = coordinator.vault.teams.held.get(team)!;
  t.ok(opens([held.caseKeys.get(`${caseId}#2`)!], blobs.find((x) => x.blob === links.find((l) => l.case_id === caseId)!.wrapped)!), "the coordinator's new case key opens the case's link (the check can succeed)");

  t.equal((await lawyer.vault.teams.readRecord(team, after.id)).fields.title, 'después', 'the lawyer reads what was written after the removal');
  // The server seals a key of its own making to the lawyer as the case's new epoch.
  const lawyerBox = keysOf(lawyer.vault).identity.boxPublicKey;
  const fake = s.crypto_box_seal(concat(caseKeyShareContext(team, caseId, 2), s.crypto_aead_xchacha20poly1305_ietf_keygen()), lawyerBox);
  await db.updateTable('team_share_keys').set({ sealed: Buffer.from(fake) }).where('team_id', '=', team).where('case_id', '=', caseId).where('case_epoch', '=', 2).execute();
  const device = await Vault.login({ server: server.url, handle: lawyer.handle, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
  await refusedAsIntegrity(t, device.teams.readRecord(team, after.id), "checked against the commitment in the removal's list", /not the key the signed chain committed to/);
});

t.test('the migration stops, deleting nothing, on a chain made with inline removals; without one it keeps every team', async (t) => {
  const { db } = await testDatabase(t, { migrate: false });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  t.notOk((await migrator.migrateTo('0009_teams')).error);
  await sql`insert into accounts (handle, kdf_algorithm, kdf_salt, kdf_ops_limit, kdf_mem_limit, login_verifier, wrapped_master_key, recovery_verifier, recovery_wrapped_master_key, sign_public_key, box_public_key, identity_signature, wrapped_private_keys)
    values ('oldie', 'argon2id13', ${randomBytes(16)}, 3, 8192, 'v', ${randomBytes(8)}, 'v', ${randomBytes(8)}, ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(64)}, ${randomBytes(8)})`.execute(db);
  const account = (await sql<{ id: string }>`select id from accounts`.execute(db)).rows[0]!.id;
  const kept = randomUUID();
  const old = randomUUID();
  for (const [team, actions] of [[kept, ['create', 'case-create', 'add']], [old, ['create', 'case-create', 'add', 'remove']]] as const) {
    await sql`insert into teams (id, head_seq) values (${team}, ${actions.length - 1})`.execute(db);
    for (const [seq, action] of actions.entries()) {
      await sql`insert into team_statements (team_id, seq, body, signature) values (${team}, ${seq}, ${JSON.stringify({ v: 1, seq, action })}, ${randomBytes(64)})`.execute(db);
    }
    await sql`insert into team_members (team_id, account_id, role) values (${team}, ${account}, 'coordinator')`.execute(db);
    await sql`insert into team_records (id, team_id, case_id, current_version) values (${randomUUID()}, ${team}, ${team}, 1)`.execute(db);
  }
  const refused = await migrator.migrateToLatest();
  t.match(String(refused.error), new RegExp(`1 team\\(s\\) have a member removal made by a build before case key links \\(${old}\\)`), 'the migration stops and names the team');
  t.same((await sql<{ id: string }>`select id from teams order by id`.execute(db)).rows.map((r) => r.id), [kept, old].sort(), 'both teams are still there');
  t.equal((await sql`select * from team_records`.execute(db)).rows.length, 2, 'with both records');
  t.equal((await sql`select * from team_statements`.execute(db)).rows.length, 7, 'and every statement');

  // The operator removes the old team, as the message says, and starts again.
  await sql`delete from teams where id = ${old}`.execute(db);
  t.notOk((await migrator.migrateToLatest()).error, 'the migration then runs');
  t.same((await sql<{ id: string }>`select id from teams`.execute(db)).rows.map((r) => r.id), [kept], 'the other team is kept');
  t.equal((await sql`select * from team_statements where team_id = ${kept}`.execute(db)).rows.length, 3, 'with its statements');
  t.equal((await sql`select * from team_records`.execute(db)).rows.length, 1, 'and its record');
  t.equal((await sql`select * from accounts`.execute(db)).rows.length, 1, 'the account is kept');
  t.same((await sql`select case_key_list from team_statements where team_id = ${kept}`.execute(db)).rows, [{ case_key_list: null }, { case_key_list: null }, { case_key_list: null }]);
});
