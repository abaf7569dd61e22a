import t from 'tap';
import { ApiError, DecryptionError, MemoryStateStore, Vault } from '@testimony-vault/client';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { unwrapRecordKey } from '../client-lib/src/teams/keys.ts';
import { build, handle, testClient } from './helper.ts';

// Teams end to end through the library and the real server (docs/PROTOCOL.md "Teams"): a
// coordinator and two staff, a case shared with a lawyer, a member removed, a share ending.

const server = await build(t);
const db = server.db;
const s = await sodiumReady();

async function person(prefix: string): Promise<{ vault: Vault; handle: string }> {
  const h = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
  return { vault, handle: h };
}

const coordinator = await person('coord');
const ana = await person('ana');
const beto = await person('beto');
const lawyer = await person('lawyer');

const team = await coordinator.vault.teams.create();
await coordinator.vault.teams.addMember(team, ana.handle);
await coordinator.vault.teams.addMember(team, beto.handle);
const familyCase = await coordinator.vault.teams.createCase(team);

t.test('a staff member writes into a case and the other reads it', async (t) => {
  const { id } = await ana.vault.teams.writeRecord(team, familyCase, { title: 'Familia R.', narrative: 'Llegaron el martes.' }, { requireVerified: false });
  const read = await beto.vault.teams.readRecord(team, id);
  t.equal(read.fields.narrative, 'Llegaron el martes.');
  t.equal(read.author.handle, ana.handle);
  t.equal(read.caseId, familyCase);
  const listed = await beto.vault.teams.listRecords(team, { caseId: familyCase });
  t.same(listed.map((r) => r.id), [id], 'listed in its case');
  const next = await beto.vault.teams.updateRecord(team, id, { place: 'Tapachula' }, { requireVerified: false });
  t.equal(next.version, 2);
  t.equal((await ana.vault.teams.readRecord(team, id)).fields.place, 'Tapachula', 'a version by the other member');
  t.equal((await ana.vault.teams.readRecord(team, id)).fields.title, 'Familia R.');
  const stored = await db.selectFrom('team_record_versions').select('body').where('record_id', '=', id).execute();
  t.ok(stored.every((r) => !r.body.toString('latin1').includes('Familia')), 'the server stores no plaintext');
});

t.test('the lawyer reads a record written after the share, and nothing outside the case', async (t) => {
  const general = await ana.vault.teams.writeRecord(team, team, { title: 'General', narrative: 'no es del caso' }, { requireVerified: false });
  await coordinator.vault.teams.shareCase(team, familyCase, lawyer.handle);
  const after = await beto.vault.teams.writeRecord(team, familyCase, { title: 'Después', narrative: 'escrito tras compartir' }, { requireVerified: false });
  t.equal((await lawyer.vault.teams.readRecord(team, after.id)).fields.narrative, 'escrito tras compartir');
  const listed = await lawyer.vault.teams.listRecords(team);
  t.ok(listed.length >= 2 && listed.every((r) => r.caseId === familyCase), 'the lawyer lists the case only');
  await t.rejects(lawyer.vault.teams.readRecord(team, general.id), { status: 404, code: 'VAULT_ERR_NOT_FOUND' }, 'a record of the general space does not exist for the lawyer');
  await t.rejects(lawyer.vault.teams.writeRecord(team, familyCase, { title: 'x', narrative: 'x' }, { requireVerified: false }), /not a member/, 'a reviewer does not write');
  t.equal((await lawyer.vault.teams.info(team)).myRole, 'reviewer');
});

t.test('a removed member cannot decrypt the next record with the keys its client held', async (t) => {
  // Beto reads first, so his client holds every key it can.
  const before = await ana.vault.teams.writeRecord(team, familyCase, { title: 'Antes', narrative: 'antes de la baja' }, { requireVerified: false });
  await beto.vault.teams.readRecord(team, before.id);
  await beto.vault.teams.readRecord(team, (await beto.vault.teams.listRecords(team))[0]!.id);
  const betoKeys = beto.vault.teams.held.get(team)!;
  t.ok(betoKeys.caseKeys.size > 0, 'beto held case keys in memory');

  await coordinator.vault.teams.removeMember(team, beto.handle);
  const secret = await ana.vault.teams.writeRecord(team, familyCase, { title: 'Después de la baja', narrative: 'beto no debe leerlo' }, { requireVerified: false });
  t.equal((await ana.vault.teams.readRecord(team, secret.id)).fields.title, 'Después de la baja', 'the remaining member writes and reads');
  t.equal((await lawyer.vault.teams.readRecord(team, secret.id)).fields.title, 'Después de la baja', 'the lawyer got the new case key');

  await t.rejects(beto.vault.teams.readRecord(team, secret.id), ApiError, 'the server refuses the removed member at once');
  const row = await db.selectFrom('team_record_versions').select(['wrapped_key', 'case_epoch']).where('record_id', '=', secret.id).executeTakeFirstOrThrow();
  t.ok(row.case_epoch > 1, 'written under a new case epoch');
  let opened = 0;
  for (const key of betoKeys.caseKeys.values()) {
    for (let epoch = 1; epoch <= row.case_epoch; epoch++) {
      try {
        unwrapRecordKey(s, key, team, familyCase, secret.id, 1, epoch, row.wrapped_key);
        opened += 1;
      } catch (err) {
        if (!(err instanceof DecryptionError)) throw err;
      }
    }
  }
  t.equal(opened, 0, 'no key beto held unwraps the record key');
  t.notOk(betoKeys.caseKeys.has(`${familyCase}#${row.case_epoch}`), 'beto never held the new epoch');
  await t.rejects(beto.vault.teams.info(team), { status: 404, code: 'VAULT_ERR_NOT_FOUND' }, 'nor does he see the team any more');
});

t.test("the lawyer's access ends at its date", async (t) => {
  const lawyer2 = await person('lawyer2');
  // 4 s: a write checks the team's statement events in the audit log first (H1(b)), a few round trips on a loaded machine.
  await coordinator.vault.teams.shareCase(team, familyCase, lawyer2.handle, { expiresAt: new Date(Date.now() + 4000) });
  const rec = await ana.vault.teams.writeRecord(team, familyCase, { title: 'Breve', narrative: 'acceso corto' }, { requireVerified: false });
  t.equal((await lawyer2.vault.teams.readRecord(team, rec.id)).fields.title, 'Breve', 'readable before the date');
  await new Promise((r) => setTimeout(r, 4200));
  await t.rejects(lawyer2.vault.teams.readRecord(team, rec.id), { status: 404, code: 'VAULT_ERR_NOT_FOUND' }, 'refused after it');
  await t.rejects(lawyer2.vault.teams.listRecords(team), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  // The coordinator's next write into the case ends the share in the chain and rotates the case key.
  const epochBefore = (await coordinator.vault.teams.info(team)).cases.find((c) => c.caseId === familyCase)!.caseEpoch;
  const later = await coordinator.vault.teams.writeRecord(team, familyCase, { title: 'Luego', narrative: 'tras la fecha' });
  const row = await db.selectFrom('team_record_versions').select('case_epoch').where('record_id', '=', later.id).executeTakeFirstOrThrow();
  t.equal(row.case_epoch, epochBefore + 1, 'written under a new case epoch');
  t.notOk(lawyer2.vault.teams.held.get(team)!.caseKeys.has(`${familyCase}#${row.case_epoch}`), 'which the ended reviewer never held');
  t.equal((await ana.vault.teams.history(team)).at(-1)!.action, 'case-revoke', 'the end is in the chain');
});

t.test('revoking a case share rotates the case key', async (t) => {
  await coordinator.vault.teams.revokeCase(team, familyCase, lawyer.handle);
  const rec = await ana.vault.teams.writeRecord(team, familyCase, { title: 'Tras revocar', narrative: 'x' }, { requireVerified: false });
  await t.rejects(lawyer.vault.teams.readRecord(team, rec.id), { status: 404, code: 'VAULT_ERR_NOT_FOUND' });
  const held = lawyer.vault.teams.held.get(team)!;
  const row = await db.selectFrom('team_record_versions').select('case_epoch').where('record_id', '=', rec.id).executeTakeFirstOrThrow();
  t.notOk(held.caseKeys.has(`${familyCase}#${row.case_epoch}`), 'the lawyer never held the key it is written under');
});

t.test('the team history shows every step, verified, and each is an audit event', async (t) => {
  const history = await ana.vault.teams.history(team);
  t.same(
    history.map((h) => [h.action, h.subject]),
    [
      ['create', coordinator.handle],
      ['case-create', null],
      ['add', ana.handle],
      ['add', beto.handle],
      ['case-create', null],
      ['case-share', lawyer.handle],
      ['remove', beto.handle],
      ['case-share', history[7]!.subject],
      ['case-revoke', history[7]!.subject],
      ['case-revoke', lawyer.handle],
    ],
  );
  t.ok(history.every((h) => h.by === coordinator.handle));
  const info = await ana.vault.teams.info(team);
  t.same(info.members.map((m) => [m.handle, m.role]).sort(), [[ana.handle, 'member'], [coordinator.handle, 'coordinator']].sort());
  t.equal(info.teamEpoch, 2, 'one removal, one new team epoch');
  // Besides the statements, the team's id names the refusals of its routes (a removed member's, an ended share's reads).
  const events = await db.selectFrom('audit_events').select(['action']).where('record_id', '=', team).where('outcome', '=', 'ok').orderBy('idx').execute();
  t.same(events.map((e) => e.action), ['team.create', 'case.create', 'team.add', 'team.add', 'case.create', 'case.share', 'team.remove', 'case.share', 'case.revoke', 'case.revoke']);
});

t.test('only a coordinator changes the team', async (t) => {
  const other = await person('other');
  await t.rejects(ana.vault.teams.addMember(team, other.handle), /only a coordinator/);
  // The only coordinator cannot step down, and a role is not set twice: refused before signing.
  const head = (await coordinator.vault.teams.info(team)).headSeq;
  await t.rejects(coordinator.vault.teams.setRole(team, coordinator.handle, 'member'), /last coordinator/);
  await t.rejects(coordinator.vault.teams.setRole(team, ana.handle, 'member'), /already has role member/);
  t.equal((await coordinator.vault.teams.info(team)).headSeq, head, 'nothing was signed');
  await coordinator.vault.teams.setRole(team, ana.handle, 'coordinator');
  await ana.vault.teams.addMember(team, other.handle);
  t.ok((await coordinator.vault.teams.info(team)).members.some((m) => m.handle === other.handle), 'a second coordinator adds');
});

t.test('a case of more than one page lists whole, each record verified once', async (t) => {
  const big = await coordinator.vault.teams.createCase(team);
  const ids = new Set<string>();
  for (let i = 0; i < 105; i++) ids.add((await ana.vault.teams.writeRecord(team, big, { title: `n${i}`, narrative: 'x' }, { requireVerified: false })).id);
  const listed = await coordinator.vault.teams.listRecords(team, { caseId: big });
  t.equal(listed.length, 105, 'two pages');
  t.same(new Set(listed.map((r) => r.id)), ids, 'every record, once');
});

t.test('a coordinator can require a compared safety number before adding or sharing', async (t) => {
  const newcomer = await person('newcomer');
  await t.rejects(coordinator.vault.teams.addMember(team, newcomer.handle, { requireVerified: true }), /not been verified/);
  t.notOk((await coordinator.vault.teams.info(team)).members.some((m) => m.handle === newcomer.handle), 'nothing was added');
  // (In person, the two compare this number on their screens.)
  const { fingerprint } = await coordinator.vault.lookupUser(newcomer.handle);
  await coordinator.vault.verifyContact(newcomer.handle, fingerprint);
  await coordinator.vault.teams.addMember(team, newcomer.handle, { requireVerified: true });
  t.ok((await coordinator.vault.teams.info(team)).members.some((m) => m.handle === newcomer.handle), 'added once verified');
});
