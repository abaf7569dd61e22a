import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { AuditLogError, MemoryStateStore, Vault, verifyExport } from '@testimony-vault/client';
import { hashChildren, hashLeaf } from '@testimony-vault/protocol/merkle';
import { decodeAuditEvent, encodeAuditEvent } from '@testimony-vault/protocol';
import { build, capturingFetch, handle, testClient } from './helper.ts';
import { RUN_TS } from './run-ts.ts';

// A hostile operator edits the audit tables directly. Whatever it rewrites, a client that
// verified a checkpoint before, or that checks a record's chain, must notice.

const server = await build(t);
const db = server.db;
const run = promisify(execFile);
const dir = await mkdtemp(path.join(tmpdir(), 'tvault-audit-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

async function owner() {
  const { vault } = await Vault.register({ server: server.url, handle: handle('coord'), passphrase: 'p', state: new MemoryStateStore(), ...testClient });
  return vault;
}

/** What an operator who rewrites events must also do: recompute every stored subtree hash. */
async function rebuildTree() {
  const rows = await db.selectFrom('audit_events').select(['idx', 'leaf']).orderBy('idx').execute();
  await db.deleteFrom('audit_nodes').execute();
  let level = rows.map((r) => hashLeaf(r.leaf));
  await db.updateTable('audit_events').set({ leaf_hash: Buffer.alloc(0) }).execute();
  for (const [i, r] of rows.entries()) await db.updateTable('audit_events').set({ leaf_hash: Buffer.from(level[i]!) }).where('idx', '=', Number(r.idx)).execute();
  for (let l = 0; level.length > 0; l++) {
    const values = level.map((hash, idx) => ({ level: l, idx, hash: Buffer.from(hash) }));
    for (let i = 0; i < values.length; i += 500) await db.insertInto('audit_nodes').values(values.slice(i, i + 500)).execute();
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashChildren(level[i]!, level[i + 1]!));
    level = next;
  }
}

t.test('the owner sees a verified history of each step', async (t) => {
  const vault = await owner();
  const { id } = await vault.createRecord({ title: 't', narrative: 'n' });
  await vault.updateRecord(id, { place: 'x' });
  const history = await vault.recordHistory(id);
  t.same(history.map((e) => [e.action, e.outcome, e.actor]), [
    ['record.create', 'ok', vault.handle],
    ['record.read', 'ok', vault.handle],
    ['record.update', 'ok', vault.handle],
  ]);
  t.ok(history.every((e) => e.at instanceof Date));
});

t.test('an event changed in place, with the tree recomputed: the next checkpoint is inconsistent', async (t) => {
  const vault = await owner();
  const { id } = await vault.createRecord({ title: 't', narrative: 'n' });
  await vault.auditCheckpoint();
  const row = await db.selectFrom('audit_events').select(['idx', 'leaf']).where('record_id', '=', id).orderBy('idx').executeTakeFirstOrThrow();
  const original = decodeAuditEvent(row.leaf);
  const forged = encodeAuditEvent({ ...original, action: 'record.read' });
  await db.updateTable('audit_events').set({ leaf: Buffer.from(forged), action: 'record.read' }).where('idx', '=', Number(row.idx)).execute();
  await rebuildTree();
  await t.rejects(vault.auditCheckpoint(), AuditLogError, 'the rewritten log does not extend the checkpoint this client verified');
});

t.test('an event changed in place, the tree left alone: its inclusion proof fails', async (t) => {
  const vault = await owner();
  const { id } = await vault.createRecord({ title: 't', narrative: 'n' });
  const row = await db.selectFrom('audit_events').select(['idx', 'leaf']).where('record_id', '=', id).orderBy('idx').executeTakeFirstOrThrow();
  const forged = encodeAuditEvent({ ...decodeAuditEvent(row.leaf), actor: 'someone-else' });
  await db.updateTable('audit_events').set({ leaf: Buffer.from(forged) }).where('idx', '=', Number(row.idx)).execute();
  await t.rejects(vault.recordHistory(id), AuditLogError);
});

t.test("an event deleted from the middle of a record's history: the chain breaks", async (t) => {
  const vault = await owner();
  const { id } = await vault.createRecord({ title: 't', narrative: 'n' });
  await vault.getRecord(id);
  await vault.getRecord(id);
  const middle = await db.selectFrom('audit_events').select('idx').where('record_id', '=', id).orderBy('idx').offset(1).limit(1).executeTakeFirstOrThrow();
  await db.updateTable('audit_events').set({ record_id: null }).where('idx', '=', Number(middle.idx)).execute();
  await t.rejects(vault.recordHistory(id), AuditLogError, 'the server leaves it out of the history it shows');
});

t.test('the log truncated and grown again differently: the next checkpoint is inconsistent', async (t) => {
  const vault = await owner();
  await vault.createRecord({ title: 't', narrative: 'n' });
  await vault.auditCheckpoint();
  const size = Number((await db.selectFrom('audit_events').select((eb) => eb.fn.max('idx').as('m')).executeTakeFirstOrThrow()).m) + 1;
  const cut = size - 2;
  await db.deleteFrom('audit_events').where('idx', '>=', cut).execute();
  await rebuildTree();
  const other = await owner(); // new events refill the log past its old size
  await other.createRecord({ title: 'a', narrative: 'b' });
  await other.createRecord({ title: 'c', narrative: 'd' });
  await t.rejects(vault.auditCheckpoint(), AuditLogError);
});

t.test('a checkpoint signed by another key is refused', async (t) => {
  const vault = await owner();
  const { id } = await vault.createRecord({ title: 't', narrative: 'n' });
  await vault.auditCheckpoint(); // pins the real key
  const impostor = await build(t, { AUDIT_SIGNING_KEY: randomBytes(32).toString('base64') }); // same code, its own database and log key
  const doc = await vault.exportHistory(id);
  const otherDoc = { ...doc, verifierKey: (await (await fetch(`${impostor.url}/v1/audit/key`)).json() as { verifierKey: string }).verifierKey };
  t.throws(() => verifyExport(otherDoc), AuditLogError, 'an export whose checkpoint is not signed by the key it names');
  t.throws(() => verifyExport(doc, { verifierKey: otherDoc.verifierKey }), AuditLogError, 'an export checked against a key obtained elsewhere');
});

t.test('an export verifies offline, with the standalone command too', async (t) => {
  const vault = await owner();
  const { id } = await vault.createRecord({ title: 't', narrative: 'n' });
  await vault.updateRecord(id, { place: 'x' });
  const doc = await vault.exportHistory(id);
  t.equal(verifyExport(doc).length, 3, 'three events verified with no server');
  const file = path.join(dir, 'export.json');
  await writeFile(file, JSON.stringify(doc));
  const root = path.resolve(import.meta.dirname, '..');
  const ok = await run(process.execPath, [...RUN_TS, path.join(root, 'scripts/verify-export.ts'), file], { cwd: root });
  t.match(ok.stdout, /VERIFIED/);
  const tampered = structuredClone(doc) as { events: { leaf: string }[] };
  const leaf = Buffer.from(tampered.events[1]!.leaf, 'base64url');
  leaf[leaf.length - 40]! ^= 1;
  tampered.events[1]!.leaf = leaf.toString('base64url');
  await writeFile(file, JSON.stringify(tampered));
  const failed = await run(process.execPath, [...RUN_TS, path.join(root, 'scripts/verify-export.ts'), file], { cwd: root }).catch((e: { code: number; stdout: string; stderr: string }) => e);
  t.equal((failed as { code: number }).code, 1, 'a tampered export fails with exit code 1');
});

t.test("a record's latest event deleted before the next append: the owner who saw it notices", async (t) => {
  const vault = await owner();
  const { id } = await vault.createRecord({ title: 't', narrative: 'n' });
  await vault.getRecord(id); // the access the operator wants to hide
  const seen = await vault.recordHistory(id);
  const hidden = seen[seen.length - 1]!;
  await (await owner()).createRecord({ title: 'someone else', narrative: 'later events' });
  await db.deleteFrom('audit_events').where('idx', '=', hidden.index).execute();
  await vault.getRecord(id); // the next event now links past the deleted one
  await t.rejects(vault.recordHistory(id), AuditLogError, 'the event this client verified before is gone');
  const admin = await Vault.login({ server: server.url, handle: (await db.selectFrom('accounts').select('handle').where('is_admin', '=', true).executeTakeFirstOrThrow()).handle, passphrase: 'p', ...testClient });
  let error: unknown;
  try {
    for (let after: number | undefined, page; (page = await admin.auditLog({ limit: 1000, ...(after === undefined ? {} : { after }) })).next !== null; after = page.next);
  } catch (err) {
    error = err;
  }
  t.ok(error instanceof AuditLogError, "an administrator reading the whole log sees the gap");
});

t.test("a deleted record's id cannot be taken again (its history would read as the new record's)", async (t) => {
  const capture = capturingFetch();
  const { vault } = await Vault.register({ server: server.url, handle: handle('coord'), passphrase: 'p', fetch: capture.fetch, ...testClient });
  const { id } = await vault.createRecord({ title: 't', narrative: 'n' });
  const create = capture.requests.find((r) => r.method === 'POST' && r.path === '/v1/records')!;
  await vault.deleteRecord(id);
  // The very create request again (validly signed by the same owner), replayed or re-sent.
  const res = await fetch(`${server.url}/v1/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${capture.tokens[0]}`, 'content-type': 'application/json' },
    body: create.body,
  });
  t.equal(res.status, 409);
  t.equal(((await res.json()) as { code: string }).code, 'VAULT_ERR_RECORD_EXISTS');
  t.equal(await db.selectFrom('records').select('id').where('id', '=', id).executeTakeFirst(), undefined, 'nothing was created');
});

t.test('leaves carry a random salt, so a leaf hash from a proof cannot be guessed back into an event', async (t) => {
  const rows = await db.selectFrom('audit_events').select('leaf').orderBy('idx').limit(20).execute();
  const salts = rows.map((r) => Buffer.from(decodeAuditEvent(r.leaf).salt).toString('hex'));
  t.ok(salts.every((x) => x.length === 32), '16 bytes each');
  t.equal(new Set(salts).size, salts.length, 'all different');
});
