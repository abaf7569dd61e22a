import t from 'tap';
import { sql } from 'kysely';
import { AuditLogError, Vault, cryptoReady, verifyExport } from '@testimony-vault/client';
import { buildApp } from '../server/src/app.ts';
import { build, handle, testClient } from './helper.ts';
import { dumpAllTables, findNeedles } from './scan.ts';

// Audit addresses from the attacker's side ([Note: audit addresses] in protocol/src/audit.ts):
// the log's leaves hold no address, only a commitment; a server that changes a kept address
// is caught; after AUDIT_IP_RETENTION_DAYS the database holds no address and the whole
// history still verifies.

const server = await build(t, { AUDIT_LOG_IP: true, TRUST_PROXY: true, AUDIT_IP_RETENTION_DAYS: 30 });
const OWNER_IP = '203.0.113.41';
const LAWYER_IP = '198.51.100.73';
const ADDRESSES = [{ name: 'owner', value: OWNER_IP }, { name: 'lawyer', value: LAWYER_IP }];

/** A fetch from behind the trusted proxy, which names this client's address. */
const from = (ip: string): typeof fetch => (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('x-forwarded-for', ip);
  return fetch(input, { ...init, headers });
};
const connect = (h: string, ip: string) => ({ server: server.url, handle: h, passphrase: 'cometa almendra túnel orquesta', fetch: from(ip), ...testClient });

// The owner registers first: the administrator, who may walk the whole log.
const ownerHandle = handle('coord');
const lawyerHandle = handle('lic');
const { vault: owner } = await Vault.register(connect(ownerHandle, OWNER_IP));
const { vault: lawyer } = await Vault.register(connect(lawyerHandle, LAWYER_IP));
const { id: record } = await owner.createRecord({ title: 'Testimonio', narrative: 'Cruzó el río.' });
await owner.share(record, lawyerHandle, { requireVerified: false });
await lawyer.getRecord(record);
const history = await owner.recordHistory(record);
const lawyerRead = history.find((e) => e.actor === lawyerHandle && e.action === 'record.read')!;
const created = history.find((e) => e.action === 'record.create')!;

t.test('the leaves hold no address; the owner checks each kept address against its leaf', async (t) => {
  const leaves = await sql<{ leaf: Buffer }>`select leaf from audit_events`.execute(server.db);
  t.same(findNeedles(leaves.rows.map((r) => r.leaf.toString('hex') + r.leaf.toString('latin1')).join('\n'), ADDRESSES), [], 'no address in any leaf');
  const kept = await sql<{ n: number }>`select count(*)::int as n from audit_addresses`.execute(server.db);
  t.ok(kept.rows[0]!.n >= 5, 'the addresses are kept apart');
  t.same(await owner.auditAddress(lawyerRead.index), { index: lawyerRead.index, state: 'kept', address: LAWYER_IP }, "the lawyer's read, from the lawyer's address");
  t.same(await owner.auditAddress(created.index), { index: created.index, state: 'kept', address: OWNER_IP });
  t.equal((await lawyer.auditAddress(lawyerRead.index)).address, LAWYER_IP, 'the lawyer sees the address of its own event');
  await t.rejects(lawyer.auditAddress(created.index), { code: 'VAULT_ERR_NOT_FOUND' }, "but not of the owner's");
});

t.test('a server that changes a kept address, or gives one with another opening, is caught', async (t) => {
  const where = sql`idx = ${lawyerRead.index}::bigint`;
  await sql`update audit_addresses set address = '192.0.2.1' where ${where}`.execute(server.db);
  await t.rejects(owner.auditAddress(lawyerRead.index), AuditLogError, 'another address');
  await sql`update audit_addresses set address = ${LAWYER_IP}, opening = (select opening from audit_addresses where idx = ${created.index}::bigint) where ${where}`.execute(server.db);
  await t.rejects(owner.auditAddress(lawyerRead.index), AuditLogError, "the right address with another event's opening");
  // An address pinned on an event its leaf made no commitment for (a version-1 leaf).
  const first = await sql<{ idx: string }>`select min(idx)::text as idx from audit_events`.execute(server.db);
  await sql`delete from audit_addresses where idx = ${first.rows[0]!.idx}::bigint`.execute(server.db);
  t.equal((await owner.auditAddress(Number(first.rows[0]!.idx))).state, 'erased', 'an address the server no longer has reads as erased');
});

t.test('after the retention time no address is left anywhere, and the whole history still verifies', async (t) => {
  const before = await owner.exportHistory(record);
  // 31 days pass for every event but a new one.
  await sql`update audit_addresses set at = at - interval '31 days'`.execute(server.db);
  await owner.getRecord(record);
  const fresh = (await owner.recordHistory(record)).at(-1)!;
  // A server starting after the time ran out erases at start-up.
  const restarted = await buildApp({ config: server.config, db: server.db });
  await restarted.ready();
  await restarted.close();

  const left = await sql<{ idx: string }>`select idx::text from audit_addresses`.execute(server.db);
  t.same(left.rows.map((r) => Number(r.idx)), [fresh.index], 'only the event younger than 30 days keeps its address');
  await sql`update audit_addresses set at = at - interval '31 days'`.execute(server.db);
  const { eraseExpiredAddresses } = await import('../server/src/audit/addresses.ts');
  t.equal(await eraseExpiredAddresses(server.db, 30), 1, 'the periodic sweep erases it once its time is up');
  t.same(findNeedles(await dumpAllTables(server.db), ADDRESSES), [], 'no address, in any encoding, in any table');

  const after = await owner.recordHistory(record);
  t.same(after.slice(0, before.events.length).map((e) => e.index), before.events.map((e) => e.index), 'the history verifies, with every event');
  const exported = await owner.exportHistory(record);
  await cryptoReady();
  t.equal(verifyExport(exported).length, after.length, 'an export made now verifies offline');
  t.equal(verifyExport(before).length, before.events.length, 'and so does one made before the erasure');
  let next: number | null = -1;
  let seen = 0;
  while (next !== null) {
    const page: { events: unknown[]; next: number | null } = await owner.auditLog({ after: next, limit: 50 });
    seen += page.events.length;
    next = page.next;
  }
  t.ok(seen >= after.length, `the administrator walks the whole log (${seen} events), every leaf proven`);
  t.same(await owner.auditAddress(lawyerRead.index), { index: lawyerRead.index, state: 'erased', address: null }, 'the address is gone, the leaf still proven');
});
