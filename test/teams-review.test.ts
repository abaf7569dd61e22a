import t from 'tap';
import { IntegrityError, KeyChangedError, MemoryStateStore, Vault } from '@testimony-vault/client';
import { encodeTeamStatement, replayTeamChain, teamStatementBytes, teamStatementHash, type TeamState, type TeamStatement } from '@testimony-vault/protocol';
import type { Unlocked } from '../client-lib/src/account/session.ts';
import { newIdentity } from '../client-lib/src/crypto/identity.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { caseKeyCommitment, sealTeamKey, teamKeyCommitment, wrapCaseKey } from '../client-lib/src/teams/keys.ts';
import { sealTeamRecord } from '../client-lib/src/teams/records.ts';
import { build, handle, testClient } from './helper.ts';

// The attacker-side review of teams (issue 20), each finding as a test the fix makes pass:
// a hostile server edits the database, and the client must catch it or refuse.

const server = await build(t);
const db = server.db;
const s = await sodiumReady();

async function person(prefix: string) {
  const h = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
  return { vault, handle: h };
}
const me = (v: Vault) => (v as unknown as { me: Unlocked }).me;
const accountId = async (h: string) => (await db.selectFrom('accounts').select('id').where('handle', '=', h).executeTakeFirstOrThrow()).id;
const verify = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array) => s.crypto_sign_verify_detached(sig, msg, pk);

async function stateUpTo(team: string, seq: number): Promise<TeamState> {
  const rows = await db.selectFrom('team_statements').select(['seq', 'body', 'signature']).where('team_id', '=', team).orderBy('seq').execute();
  return replayTeamChain(team, rows.slice(0, seq + 1).map((r) => ({ json: r.body, signature: r.signature })), verify);
}

/** A coordinator's team with ana and beto as members. */
async function teamOfThree() {
  const [coord, ana, beto] = [await person('coord'), await person('ana'), await person('beto')];
  const team = await coord.vault.teams.create();
  for (const p of [ana, beto]) await coord.vault.teams.addMember(team, p.handle);
  return { coord, ana, beto, team };
}

t.test('H2: a team the server made up, under a real handle with keys of its own, pins those keys and is not written into unverified', async (t) => {
  const coord = await person('coord'); // the real coordinator: ana never looked them up
  const ana = await person('ana');
  const fake = newIdentity(s, coord.handle); // the server's keys under coord's handle
  const team = crypto.randomUUID();
  const teamKey = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  const caseKey = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  const anaId = me(ana.vault).identity;
  const base = { v: 1 as const, team, at: Date.now(), by: coord.handle, role: null, teamKey: null, caseId: null, caseKeys: [], caseKeyList: null, expiresAt: null, subject: null, teamEpoch: 1 };
  const sts: TeamStatement[] = [
    { ...base, seq: 0, prev: null, action: 'create', subject: { handle: coord.handle, signPublicKey: fake.public.signPublicKey, boxPublicKey: fake.public.boxPublicKey }, role: 'coordinator', teamKey: teamKeyCommitment(s, team, 1, teamKey) },
    { ...base, seq: 1, prev: null, action: 'case-create', caseId: team, caseKeys: [{ caseId: team, caseEpoch: 1, commitment: caseKeyCommitment(s, team, team, 1, caseKey) }] },
    { ...base, seq: 2, prev: null, action: 'add', subject: { handle: ana.handle, signPublicKey: anaId.signPublicKey, boxPublicKey: anaId.boxPublicKey }, role: 'member' },
  ];
  const jsons: string[] = [];
  for (const st of sts) {
    if (st.seq > 0) st.prev = teamStatementHash(jsons[st.seq - 1]!);
    jsons.push(encodeTeamStatement(st));
  }
  await db.insertInto('teams').values({ id: team, head_seq: 2 }).execute();
  await db.insertInto('team_statements').values(jsons.map((json, seq) => ({ team_id: team, seq, body: json, signature: Buffer.from(s.crypto_sign_detached(teamStatementBytes(json), fake.private.signSecretKey)) }))).execute();
  await db.insertInto('team_members').values([{ team_id: team, account_id: await accountId(ana.handle), role: 'member' }, { team_id: team, account_id: await accountId(coord.handle), role: 'coordinator' }]).execute();
  await db.insertInto('team_cases').values({ team_id: team, case_id: team, current_epoch: 1 }).execute();
  await db.insertInto('team_keys').values({ team_id: team, team_epoch: 1, account_id: await accountId(ana.handle), sealed: Buffer.from(sealTeamKey(s, team, 1, teamKey, anaId.boxPublicKey)) }).execute();
  await db.insertInto('team_case_keys').values({ team_id: team, case_id: team, case_epoch: 1, team_epoch: 1, wrapped: Buffer.from(wrapCaseKey(s, teamKey, team, team, 1, 1, caseKey)) }).execute();

  const info = await ana.vault.teams.info(team);
  t.same(info.addedBy, { handle: coord.handle, verified: false }, 'team info says who added ana, unverified');
  t.same(info.members.map((m) => [m.handle, m.verified]).sort(), [[ana.handle, true], [coord.handle, false]].sort(), 'and each member\'s verification');
  await t.rejects(ana.vault.teams.writeRecord(team, team, { title: 'testimonio', narrative: 'secreto' }), { name: 'VaultError', message: /safety number has not been verified/ }, 'no testimony is written without the yes sharing needs');
  t.equal(await db.selectFrom('team_records').select('id').where('team_id', '=', team).executeTakeFirst(), undefined, 'nothing was stored');
  // The chain's keys are pinned: the real person's keys are now a changed key, which comparing safety numbers settles.
  await t.rejects(ana.vault.lookupUser(coord.handle), KeyChangedError, "coord's real keys differ from the ones the made-up chain pinned");
});

t.test('H2: writing after the adder was verified needs nothing more; unverified, requireVerified: false is the accepted risk', async (t) => {
  const { coord, ana, beto, team } = await teamOfThree();
  await ana.vault.verifyContact(coord.handle, (await ana.vault.lookupUser(coord.handle)).fingerprint);
  t.same((await ana.vault.teams.info(team)).addedBy, { handle: coord.handle, verified: true });
  t.ok((await ana.vault.teams.writeRecord(team, team, { title: 'a', narrative: 'a' })).id, 'ana verified coord: she writes');
  await t.rejects(beto.vault.teams.writeRecord(team, team, { title: 'b', narrative: 'b' }), /safety number has not been verified/, 'beto did not');
  t.ok((await beto.vault.teams.writeRecord(team, team, { title: 'b', narrative: 'b' }, { requireVerified: false })).id, 'beto accepted the risk');
  t.same((await coord.vault.teams.info(team)).addedBy, null, 'the creator was added by no one');
});

t.test('H1: a record written under a chain cut before a removal, later than the removal by more than the clock window, is refused', async (t) => {
  const { coord, ana, beto, team } = await teamOfThree();
  const caseId = await coord.vault.teams.createCase(team);
  await ana.vault.teams.writeRecord(team, caseId, { title: 'a', narrative: 'a' }, { requireVerified: false });
  const frozen = (await ana.vault.teams.info(team)).headSeq;
  await coord.vault.teams.removeMember(team, beto.handle);

  // What ana writes when the server keeps showing her the chain up to `frozen`: under case
  // epoch 1, which beto holds. Stored as the server would.
  const caseKey = ana.vault.teams.held.get(team)!.caseKeys.get(`${caseId}#1`)!;
  const frozenState = await stateUpTo(team, frozen);
  const write = async (writtenAt: Date) => {
    const id = crypto.randomUUID();
    const sealed = sealTeamRecord(s, caseKey, me(ana.vault).privateKeys.signSecretKey, { team, caseId, recordId: id, version: 1, caseEpoch: 1, chain: frozenState }, {
      v: 1, fields: { title: 'tras la baja', narrative: 'beto no debe leerlo' }, createdAt: writtenAt.toISOString(), writtenAt: writtenAt.toISOString(),
    });
    await db.insertInto('team_records').values({ id, team_id: team, case_id: caseId, current_version: 1 }).execute();
    await db.insertInto('team_record_versions').values({
      record_id: id, version: 1, case_epoch: 1, chain_seq: sealed.chainSeq, chain_head: Buffer.from(sealed.chainHead), author_id: await accountId(ana.handle),
      wrapped_key: Buffer.from(sealed.wrappedKey), body: Buffer.from(sealed.body), signature: Buffer.from(sealed.signature),
    }).execute();
    return id;
  };
  const late = await write(new Date(Date.now() + 11 * 60_000));
  await t.rejects(coord.vault.teams.readRecord(team, late), { name: 'IntegrityError', message: /shown a chain without it/ }, 'the coordinator, who has the removal, refuses it');
  const listed = await coord.vault.teams.listRecords(team, { caseId });
  t.ok(listed.failures.some((f) => f.id === late && f.error instanceof IntegrityError), 'and a list names it as a failure');
  t.notOk(listed.some((r) => r.id === late), 'without it among the records');
  // What remains (docs/THREAT-MODEL.md 3b): within the window, a frozen writer is not told apart.
  const soon = await write(new Date());
  t.equal((await coord.vault.teams.readRecord(team, soon)).id, soon, 'within the clock window it is still accepted');
});

t.test('M1: a team or team record cannot take an id the audit log already names', async (t) => {
  const alice = await person('alice');
  const mallory = await person('mallory');
  const { id: victim } = await alice.vault.createRecord({ title: 'testimonio', narrative: 'n' });
  const team = await mallory.vault.teams.create();
  const sodium = (mallory.vault.teams as unknown as { s: { randombytes_buf: (n: number) => Uint8Array } }).s;
  const orig = sodium.randombytes_buf;
  const withId = async <T>(id: string, run: () => Promise<T>) => {
    let used = false;
    sodium.randombytes_buf = (n: number) => (n === 16 && !used ? ((used = true), s.from_hex(id.replaceAll('-', ''))) : orig.call(sodium, n));
    try {
      return await run();
    } finally {
      sodium.randombytes_buf = orig;
    }
  };
  await t.rejects(withId(victim, () => mallory.vault.teams.writeRecord(team, team, { title: 'x', narrative: 'x' })), { code: 'VAULT_ERR_RECORD_EXISTS' }, "a team record with a personal record's id");
  await t.rejects(withId(victim, () => mallory.vault.teams.create()), { code: 'VAULT_ERR_RECORD_EXISTS' }, "a team with a personal record's id");
  await t.rejects(withId(team, () => mallory.vault.teams.writeRecord(team, team, { title: 'x', narrative: 'x' })), { code: 'VAULT_ERR_RECORD_EXISTS' }, "a team record with its team's id");
  const events = await db.selectFrom('audit_events').select('action').where('record_id', '=', victim).orderBy('idx').execute();
  t.same(events.map((e) => e.action), ['record.create'], "alice's record's log holds only alice's events");
});

t.test('lows: a handle as typed is normalised; a team whose share ended by its date is no longer listed to its reviewer', async (t) => {
  const coord = await person('coord');
  const ana = await person('ana');
  const lawyer = await person('lawyer');
  const team = await coord.vault.teams.create();
  await coord.vault.teams.addMember(team, ` ${ana.handle.toUpperCase()}`);
  t.ok((await coord.vault.teams.info(team)).members.some((m) => m.handle === ana.handle), 'added under the handle it stands for');
  t.ok((await ana.vault.teams.writeRecord(team, team, { title: 'a', narrative: 'a' }, { requireVerified: false })).id, 'and the team key sealed to her opens: she writes');
  // Long enough for a loaded machine to list it before the end (1.5 s was not, on PostgreSQL at load 20).
  const expiresAt = new Date(Date.now() + 5000);
  await coord.vault.teams.shareCase(team, team, lawyer.handle, { expiresAt });
  t.ok((await lawyer.vault.teams.list()).some((x) => x.id === team), 'listed while the share is live');
  await new Promise((r) => setTimeout(r, Math.max(0, expiresAt.getTime() - Date.now() + 200)));
  t.notOk((await lawyer.vault.teams.list()).some((x) => x.id === team), 'not listed once it ended');
});

t.test('lows: a refused team route is an audit event, as a refused record route is', async (t) => {
  const coord = await person('coord');
  const stranger = await person('stranger');
  const team = await coord.vault.teams.create();
  await t.rejects(stranger.vault.teams.info(team), { status: 404, code: 'VAULT_ERR_NOT_FOUND' }, 'a stranger is refused');
  const events = await db.selectFrom('audit_events').select(['action', 'outcome']).where('record_id', '=', team).where('actor_id', '=', await accountId(stranger.handle)).execute();
  t.same(events.map((e) => [e.action, e.outcome]), [['record.read', 'refused']], "the stranger's refused read of the team's chain is logged under the team's id");
});
