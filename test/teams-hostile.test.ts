import t from 'tap';
import { sql } from 'kysely';
import { IntegrityError, KeyChangedError, MemoryStateStore, RollbackError, SignatureError, Vault } from '@testimony-vault/client';
import {
  caseKeyShareContext, concat, encodeTeamStatement, parseTeamStatement, teamKeyContext, teamStatementBytes, teamStatementHash, type TeamStatement,
} from '@testimony-vault/protocol';
import type { Unlocked } from '../client-lib/src/account/session.ts';
import { newIdentity } from '../client-lib/src/crypto/identity.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { build, handle, testClient } from './helper.ts';

// A hostile server against teams (docs/PROTOCOL.md "Teams"), by editing the database or by
// answering a client from a modified server: every attack is caught by the client's replay
// of the signed chain, its memory of the chain, or the commitments to keys, and nothing is
// sealed to a key the chain does not name.

const server = await build(t);
const db = server.db;
const s = await sodiumReady();

/** What the server answers one client can be rewritten per path (a modified server). */
type Rewrite = (path: string, json: unknown) => unknown;

interface Person {
  vault: Vault;
  handle: string;
  rewrite: { fn: Rewrite | null };
}

function rewriting(rewrite: { fn: Rewrite | null }): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const path = new URL(String(input)).pathname;
    if (!rewrite.fn || !res.ok || (init?.method ?? 'GET') !== 'GET' || res.status === 204) return res;
    const changed = rewrite.fn(path, await res.json());
    return new Response(JSON.stringify(changed), { status: res.status, headers: res.headers });
  };
}

async function person(prefix: string): Promise<Person> {
  const h = handle(prefix);
  const rewrite: { fn: Rewrite | null } = { fn: null };
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state: new MemoryStateStore(), fetch: rewriting(rewrite), ...testClient });
  return { vault, handle: h, rewrite };
}

/** The same account on a new device: no memory of any chain, no keys held. */
const freshDevice = (p: Person, rewrite: { fn: Rewrite | null } = { fn: null }) =>
  Vault.login({ server: server.url, handle: p.handle, passphrase: 'p', state: new MemoryStateStore(), fetch: rewriting(rewrite), ...testClient });
const keysOf = (v: Vault) => (v as unknown as { me: Unlocked }).me;

async function chain(team: string) {
  return db.selectFrom('team_statements').select(['seq', 'body', 'signature']).where('team_id', '=', team).orderBy('seq').execute();
}

/** A statement the test signs with `signer`'s keys, following the stored chain. */
async function forged(team: string, signer: { handle: string; signSecretKey: Uint8Array }, rest: Partial<TeamStatement>, at?: number) {
  const rows = await chain(team);
  const seq = at ?? rows.length;
  const last = parseTeamStatement(rows[seq - 1]!.body);
  const st: TeamStatement = {
    v: 1, team, seq, prev: teamStatementHash(rows[seq - 1]!.body), action: 'add', at: Date.now(), by: signer.handle, subject: null, role: null,
    teamEpoch: last.teamEpoch, teamKey: null, caseId: null, caseKeys: [], caseKeyList: null, expiresAt: null, ...rest,
  };
  const json = encodeTeamStatement(st);
  return { seq, json, signature: Buffer.from(s.crypto_sign_detached(teamStatementBytes(json), signer.signSecretKey)) };
}

const subjectOf = (v: Vault) => {
  const me = keysOf(v);
  return { handle: me.handle, signPublicKey: me.identity.signPublicKey, boxPublicKey: me.identity.boxPublicKey };
};

async function newTeam(...members: Person[]) {
  const coordinator = await person('coord');
  const team = await coordinator.vault.teams.create();
  for (const m of members) await coordinator.vault.teams.addMember(team, m.handle);
  return { coordinator, team };
}

t.test('an inserted member is refused, and no key is sealed to it', async (t) => {
  const ana = await person('ana');
  const mallory = await person('mallory');
  const { coordinator, team } = await newTeam(ana);
  // The server appends "add mallory", signed by mallory (who is no coordinator), and lets her in.
  const m = keysOf(mallory.vault);
  const bad = await forged(team, { handle: m.handle, signSecretKey: m.privateKeys.signSecretKey }, { subject: subjectOf(mallory.vault), role: 'member' });
  await db.insertInto('team_statements').values({ team_id: team, seq: bad.seq, body: bad.json, signature: bad.signature }).execute();
  await t.rejects(ana.vault.teams.info(team), IntegrityError, 'a statement by someone who is not a coordinator');
  await t.rejects(coordinator.vault.teams.removeMember(team, ana.handle), IntegrityError, 'the coordinator seals nothing on that chain');
  // Signed with mallory's key but naming the coordinator as signer: the signature fails.
  const c = keysOf(coordinator.vault);
  const pretending = await forged(team, { handle: c.handle, signSecretKey: m.privateKeys.signSecretKey }, { subject: subjectOf(mallory.vault), role: 'member' }, bad.seq);
  await db.updateTable('team_statements').set({ body: pretending.json, signature: pretending.signature }).where('team_id', '=', team).where('seq', '=', bad.seq).execute();
  await t.rejects(ana.vault.teams.info(team), SignatureError);
  await db.deleteFrom('team_statements').where('team_id', '=', team).where('seq', '=', bad.seq).execute();

  // Only the server's own table says mallory is a member: clients never seal to her.
  const mallId = (await db.selectFrom('accounts').select('id').where('handle', '=', mallory.handle).executeTakeFirstOrThrow()).id;
  await db.insertInto('team_members').values({ team_id: team, account_id: mallId, role: 'member' }).execute();
  const rec = await ana.vault.teams.writeRecord(team, team, { title: 't', narrative: 'n' }, { requireVerified: false });
  await t.rejects(mallory.vault.teams.readRecord(team, rec.id), /holds no key/, 'mallory reads ciphertext she cannot open');
  await coordinator.vault.teams.addMember(team, (await person('carol')).handle);
  const sealedToMallory = await db.selectFrom('team_keys').select('team_epoch').where('team_id', '=', team).where('account_id', '=', mallId).execute();
  t.same(sealedToMallory, [], 'no team key was sealed to her');
});

t.test('a silently removed member: a statement taken out, or the chain cut short, is caught', async (t) => {
  const ana = await person('ana');
  const beto = await person('beto');
  const { coordinator, team } = await newTeam(ana, beto);
  await coordinator.vault.teams.setRole(team, ana.handle, 'coordinator');
  t.equal((await ana.vault.teams.info(team)).members.length, 3, 'ana verified the whole chain once');
  const betoAdded = (await chain(team)).findIndex((r) => parseTeamStatement(r.body).subject?.handle === beto.handle);
  const saved = (await chain(team))[betoAdded]!;
  await db.deleteFrom('team_statements').where('team_id', '=', team).where('seq', '=', betoAdded).execute();
  await t.rejects(ana.vault.teams.info(team), IntegrityError, 'a gap in the chain');
  await t.rejects((await freshDevice(ana)).teams.info(team), IntegrityError, 'seen by a new device too');
  await db.insertInto('team_statements').values({ team_id: team, seq: betoAdded, body: saved.body, signature: saved.signature }).execute();

  // The chain cut back to before beto was added (and everything after it).
  const rows = await chain(team);
  await db.deleteFrom('team_statements').where('team_id', '=', team).where('seq', '>=', betoAdded).execute();
  await t.rejects(ana.vault.teams.info(team), RollbackError, 'ana remembers a longer chain');
  await t.rejects(coordinator.vault.teams.info(team), RollbackError);
  for (const r of rows.slice(betoAdded)) await db.insertInto('team_statements').values({ team_id: team, seq: r.seq, body: r.body, signature: r.signature }).execute();
  t.equal((await ana.vault.teams.info(team)).members.length, 3, 'the whole chain verifies again');
});

t.test('a replayed old chain is refused (a modified server)', async (t) => {
  const ana = await person('ana');
  const beto = await person('beto');
  const { coordinator, team } = await newTeam(ana);
  t.equal((await ana.vault.teams.info(team)).members.length, 2);
  await coordinator.vault.teams.addMember(team, beto.handle);
  t.equal((await ana.vault.teams.info(team)).members.length, 3, 'ana saw beto added');
  let old: unknown;
  ana.rewrite.fn = (path, json) => {
    if (!path.endsWith('/statements')) return json;
    const j = json as { statements: unknown[] };
    return (old ??= { statements: j.statements.slice(0, -1) });
  };
  await t.rejects(ana.vault.teams.info(team), RollbackError, 'the chain before beto, after ana saw him');
  await t.rejects(ana.vault.teams.writeRecord(team, team, { title: 'x', narrative: 'y' }, { requireVerified: false }), RollbackError, 'and nothing is written under it');
  ana.rewrite.fn = null;
});

t.test('a fork between two members is caught by the chain head a record names', async (t) => {
  const ana = await person('ana');
  const beto = await person('beto');
  const carol = await person('carol');
  const dave = await person('dave');
  const { coordinator, team } = await newTeam(ana, beto);
  await coordinator.vault.teams.info(team);
  // The coordinator signs "add carol"; the server shows beto "add dave" at the same seq, a
  // statement the coordinator also signed (say, one it sent and the server kept back).
  const c = keysOf(coordinator.vault);
  const other = await forged(team, { handle: c.handle, signSecretKey: c.privateKeys.signSecretKey }, { subject: subjectOf(dave.vault), role: 'member' });
  await coordinator.vault.teams.addMember(team, carol.handle);
  beto.rewrite.fn = (path, json) => {
    if (!path.endsWith('/statements')) return json;
    const j = json as { statements: { seq: number; statement: string; signature: string }[] };
    return { statements: j.statements.map((w) => (w.seq === other.seq ? { seq: w.seq, statement: other.json, signature: other.signature.toString('base64url') } : w)) };
  };
  const betoView = await beto.vault.teams.info(team);
  t.ok(betoView.members.some((m) => m.handle === dave.handle), 'beto alone is shown the other branch, which verifies on its own');
  const rec = await ana.vault.teams.writeRecord(team, team, { title: 'rama', narrative: 'de ana' }, { requireVerified: false });
  await t.rejects(beto.vault.teams.readRecord(team, rec.id), IntegrityError, "ana's record names a head beto's chain does not have");
  beto.rewrite.fn = null;
  await t.rejects(beto.vault.teams.info(team), RollbackError, 'and beto, shown the real chain later, sees the rewrite');
});

t.test('a swapped member key: nothing is added or sealed to it', async (t) => {
  const ana = await person('ana');
  const { coordinator, team } = await newTeam();
  await coordinator.vault.lookupUser(ana.handle); // pinned
  const before = (await chain(team)).length;
  const sealedKeys = async () => (await db.selectFrom('team_keys').select('account_id').where('team_id', '=', team).execute()).length;
  const sealedBefore = await sealedKeys();
  const real = await db.selectFrom('accounts').select(['sign_public_key', 'box_public_key', 'identity_signature']).where('handle', '=', ana.handle).executeTakeFirstOrThrow();
  const fake = newIdentity(s, ana.handle);
  await db
    .updateTable('accounts')
    .set({ sign_public_key: Buffer.from(fake.public.signPublicKey), box_public_key: Buffer.from(fake.public.boxPublicKey), identity_signature: Buffer.from(fake.public.signature) })
    .where('handle', '=', ana.handle)
    .execute();
  await t.rejects(coordinator.vault.teams.addMember(team, ana.handle), KeyChangedError);
  t.equal((await chain(team)).length, before, 'no statement was made');
  t.equal(await sealedKeys(), sealedBefore, 'and no key was sealed to anyone');
  await db.updateTable('accounts').set(real).where('handle', '=', ana.handle).execute();
  await coordinator.vault.teams.addMember(team, ana.handle);

  // The keys inside a signed statement changed: its signature no longer verifies.
  await ana.vault.teams.info(team);
  const rows = await chain(team);
  const last = rows[rows.length - 1]!;
  const edited = last.body.replace(Buffer.from(real.box_public_key).toString('base64url'), Buffer.from(fake.public.boxPublicKey).toString('base64url'));
  t.not(edited, last.body);
  await db.updateTable('team_statements').set({ body: edited }).where('team_id', '=', team).where('seq', '=', last.seq).execute();
  await t.rejects((await freshDevice(ana)).teams.info(team), SignatureError);
  await t.rejects(ana.vault.teams.info(team), SignatureError, 'nor for a client that verified the chain before (its verified prefix changed)');
  await db.updateTable('team_statements').set({ body: last.body }).where('team_id', '=', team).where('seq', '=', last.seq).execute();
});

t.test('a key the server sealed does not match the commitment: refused, nothing written under it', async (t) => {
  const ana = await person('ana');
  const lawyer = await person('lawyer');
  const { coordinator, team } = await newTeam(ana);
  const caseId = await coordinator.vault.teams.createCase(team);
  const anaId = (await db.selectFrom('accounts').select('id').where('handle', '=', ana.handle).executeTakeFirstOrThrow()).id;
  const serverKey = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  const sealed = s.crypto_box_seal(concat(teamKeyContext(team, 1), serverKey), keysOf(ana.vault).identity.boxPublicKey);
  await db.updateTable('team_keys').set({ sealed: Buffer.from(sealed) }).where('team_id', '=', team).where('account_id', '=', anaId).execute();
  const device = await freshDevice(ana);
  const records = async () => Number((await db.selectFrom('team_records').select(sql<number>`count(*)`.as('n')).where('team_id', '=', team).executeTakeFirstOrThrow()).n);
  const count = await records();
  await t.rejects(device.teams.writeRecord(team, caseId, { title: 'x', narrative: 'y' }, { requireVerified: false }), { name: 'IntegrityError', message: /not the key the signed chain committed to/ }, 'the opened key is not the committed one');
  t.equal(await records(), count, 'nothing was written');

  // A coordinator on a new device, served a team key of the server's making and no case keys
  // to try it on: without the commitment it would wrap a new case's key under that key.
  const coordSealed = s.crypto_box_seal(concat(teamKeyContext(team, 1), serverKey), keysOf(coordinator.vault).identity.boxPublicKey);
  const rewrite: { fn: Rewrite | null } = {
    fn: (path, json) => (path.endsWith('/keys') ? { teamKeys: [{ teamEpoch: 1, sealed: Buffer.from(coordSealed).toString('base64url') }], caseKeys: [], shareKeys: [] } : json),
  };
  const statements = (await chain(team)).length;
  await t.rejects((await freshDevice(coordinator, rewrite)).teams.createCase(team), IntegrityError, 'the coordinator refuses the key');
  t.equal((await chain(team)).length, statements, 'and no case key was wrapped under it');

  // The same for a case key shared with a lawyer.
  await coordinator.vault.teams.shareCase(team, caseId, lawyer.handle);
  const lawyerBox = keysOf(lawyer.vault).identity.boxPublicKey;
  const fake = s.crypto_box_seal(concat(caseKeyShareContext(team, caseId, 1), serverKey), lawyerBox);
  await db.updateTable('team_share_keys').set({ sealed: Buffer.from(fake) }).where('team_id', '=', team).where('case_id', '=', caseId).execute();
  const rec = await coordinator.vault.teams.writeRecord(team, caseId, { title: 'caso', narrative: 'n' });
  await t.rejects(lawyer.vault.teams.readRecord(team, rec.id), IntegrityError);
});

t.test('a removed coordinator can no longer sign', async (t) => {
  const ana = await person('ana');
  const beto = await person('beto');
  const { coordinator, team } = await newTeam(ana, beto);
  await coordinator.vault.teams.setRole(team, ana.handle, 'coordinator');
  await coordinator.vault.teams.removeMember(team, ana.handle);
  await t.rejects(ana.vault.teams.addMember(team, (await person('x')).handle), { status: 404, code: 'VAULT_ERR_NOT_FOUND' }, 'the server refuses her');
  // A statement she signs anyway, put into the chain by the server.
  const a = keysOf(ana.vault);
  const bad = await forged(team, { handle: a.handle, signSecretKey: a.privateKeys.signSecretKey }, { action: 'remove', subject: subjectOf(beto.vault) });
  await db.insertInto('team_statements').values({ team_id: team, seq: bad.seq, body: bad.json, signature: bad.signature }).execute();
  await t.rejects(beto.vault.teams.info(team), /not a coordinator/);
});

t.test('an older version of a team record served as the latest is refused', async (t) => {
  const ana = await person('ana');
  const { coordinator, team } = await newTeam(ana);
  const { id } = await ana.vault.teams.writeRecord(team, team, { title: 'v1', narrative: 'primera' }, { requireVerified: false });
  await coordinator.vault.teams.updateRecord(team, id, { title: 'v2' });
  t.equal((await ana.vault.teams.readRecord(team, id)).fields.title, 'v2', 'ana saw version 2');
  await db.updateTable('team_records').set({ current_version: 1 }).where('id', '=', id).execute();
  await t.rejects(ana.vault.teams.readRecord(team, id), RollbackError, 'version 1 again');
  const listed = await ana.vault.teams.listRecords(team);
  t.same(listed.map((r) => r.id), [], 'in a list it is left out');
  t.ok(listed.failures.length === 1 && listed.failures[0]!.id === id && listed.failures[0]!.error instanceof RollbackError, 'and named as a rollback');
});
