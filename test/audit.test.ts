import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { MemoryStateStore, Vault } from '@testimony-vault/client';
import { decodeAuditEvent, type AuditEvent, CHUNK_OVERHEAD, SEALED_RECORD_KEY_BYTES, STREAM_HEADER_BYTES, WRAPPED_FILE_KEY_BYTES } from '@testimony-vault/protocol';
import { hashLeaf } from '@testimony-vault/protocol/merkle';
import { rootHash } from '../server/src/audit/merkle-tree.ts';
import { storedRoot } from '../server/src/audit/proofs.ts';
import { treeSize } from '../server/src/audit/log.ts';
import { build, capturingFetch, handle, testClient } from './helper.ts';

// The audit log from the server's side: which events each action appends, that an action
// fails when its event cannot be written, and that concurrent appends make one consistent tree.

const server = await build(t);
const db = server.db;
const CHUNK = 64 * 1024;

async function person(prefix: string) {
  const capture = capturingFetch();
  const h = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', fetch: capture.fetch, state: new MemoryStateStore(), ...testClient });
  return { vault, handle: h, token: () => capture.tokens[capture.tokens.length - 1]! };
}

async function eventsAfter(size: number): Promise<AuditEvent[]> {
  const rows = await db.selectFrom('audit_events').select('leaf').where('idx', '>=', size).orderBy('idx').execute();
  return rows.map((r) => decodeAuditEvent(r.leaf));
}

const zeros = (n: number) => Buffer.alloc(n).toString('base64url');

/** An owner with a record holding one file, a reviewer-to-be and a stranger. */
async function scene(title: string) {
  const owner = await person('coord');
  const lawyer = await person('lawyer');
  const other = await person('other');
  const { id } = await owner.vault.createRecord({ title, narrative: 'n' });
  const { fileId } = await owner.vault.attachFile(id, new Uint8Array(CHUNK + 5), { name: 'a.jpg', type: 'image/jpeg', chunkSize: CHUNK });
  return { owner, lawyer, other, id, fileId };
}

/** Starts an upload that is never completed (raw: the client library completes what it starts); returns its id. */
async function startUpload(token: string, recordId: string): Promise<string> {
  const fileId = randomUUID();
  const created = await fetch(`${server.url}/v1/records/${recordId}/files`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      fileId, chunkSize: CHUNK, partChunks: 1,
      header: zeros(STREAM_HEADER_BYTES), wrappedKey: zeros(WRAPPED_FILE_KEY_BYTES),
    }),
  });
  if (created.status !== 201) throw new Error(`upload not started: ${created.status}`);
  return fileId;
}

/** Runs `action` and returns the events it appended, as [action, outcome, actor] triples. */
async function appended(action: () => Promise<unknown>) {
  const before = await treeSize(db);
  await action().catch(() => undefined);
  return (await eventsAfter(before)).map((e) => [e.action, e.outcome, e.actor]);
}

t.test('each action appends exactly the events expected', async (t) => {
  const { owner, lawyer, other, id, fileId } = await scene('t');
  const o = owner.handle;
  const l = lawyer.handle;
  const x = other.handle;
  const readAll = async (v: Vault) => {
    const stream = await v.openFile(id, fileId);
    for await (const _ of stream as unknown as AsyncIterable<Uint8Array>) void _;
  };
  const newcomer = handle('newcomer');
  /** A raw request as `token`: a JSON body, or bytes for a part. */
  const call = (token: string, method: string, path: string, body?: unknown) => fetch(`${server.url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': body instanceof Uint8Array ? 'application/octet-stream' : 'application/json' }) },
    body: body === undefined ? null : body instanceof Uint8Array ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
  });
  /** Starts an upload and asks, as `token`, to abandon it. */
  const abandon = async (token: string) => {
    const upload = await startUpload(owner.token(), id);
    return fetch(`${server.url}/v1/files/${upload}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  };
  const table: [string, () => Promise<unknown>, unknown[][]][] = [
    ['create', () => owner.vault.createRecord({ title: 'x', narrative: 'y' }), [['record.create', 'ok', o]]],
    ['read', () => owner.vault.getRecord(id), [['record.read', 'ok', o]]],
    ['update', () => owner.vault.updateRecord(id, { place: 'p' }), [['record.read', 'ok', o], ['record.update', 'ok', o]]],
    ['versions', () => owner.vault.recordVersions(id), [['record.read', 'ok', o]]],
    ['download (one event, not one per chunk)', () => readAll(owner.vault), [['record.read', 'ok', o], ['file.download', 'ok', o]]],
    ['attach a file (the upload, then the manifest in a new version)', () => owner.vault.attachFile(id, new Uint8Array(10), { name: 'b.txt', type: 'text/plain', chunkSize: CHUNK }),
      [['file.upload', 'ok', o], ['record.read', 'ok', o], ['record.update', 'ok', o]]],
    // A photo needs a redacted copy only if someone has redacted access, which the version
    // the upload just wrote says: no second read of the record.
    ['attach a photo to a record no one reads redacted (the same events)', () => owner.vault.attachFile(id, new Uint8Array(10), { name: 'c.jpg', type: 'image/jpeg', chunkSize: CHUNK }),
      [['file.upload', 'ok', o], ['record.read', 'ok', o], ['record.update', 'ok', o]]],
    ['abandon an upload that never completed', () => abandon(owner.token()), [['file.abandon', 'ok', o]]],
    ['someone else abandons it (refused)', () => abandon(other.token()), [['file.abandon', 'refused', x]]],
    ['list (each record handed out is a read)', () => owner.vault.listRecords(), [['record.read', 'ok', o], ['record.read', 'ok', o]]],
    ['share (the record, then its sealed keys to re-seal)', () => owner.vault.share(id, l), [['record.read', 'ok', o], ['record.read', 'ok', o], ['grant.share', 'ok', o]]],
    ['sealed keys alone', () => fetch(`${server.url}/v1/records/${id}/keys`, { headers: { authorization: `Bearer ${owner.token()}` } }), [['record.read', 'ok', o]]],
    ['someone else asks for the sealed keys (refused)', () => fetch(`${server.url}/v1/records/${id}/keys`, { headers: { authorization: `Bearer ${other.token()}` } }), [['record.read', 'refused', x]]],
    // Which grantees have redacted access is in the record's body, sealed under its
    // originals key (PROTOCOL.md "Redacted copies"): listing grants opens the latest version.
    ['list grants (reads the latest version for who is redacted: one read)', () => owner.vault.grants(id), [['record.read', 'ok', o]]],
    ['history (metadata the owner already holds: no event)', () => owner.vault.recordHistory(id), []],
    ['reviewer lists what is shared with it (no event)', () => lawyer.vault.sharedWithMe(), []],
    ['reviewer reads', () => lawyer.vault.getRecord(id), [['record.read', 'ok', l]]],
    ['reviewer tries to share further (refused)', () => fetch(`${server.url}/v1/records/${id}/grants/${x}`, { method: 'DELETE', headers: { authorization: `Bearer ${lawyer.token()}` } }),
      [['grant.revoke', 'refused', l]]],
    ['reviewer downloads', () => readAll(lawyer.vault), [['record.read', 'ok', l], ['file.download', 'ok', l]]],
    ['reviewer tries to update (refused)', () => fetch(`${server.url}/v1/records/${id}/versions`, {
      method: 'POST', headers: { authorization: `Bearer ${lawyer.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: 9, keyVersion: 1, body: 'A'.repeat(60), signature: 'A'.repeat(86) }),
    }), [['record.update', 'refused', l]]],
    ['someone else reads (refused)', () => other.vault.getRecord(id), [['record.read', 'refused', x]]],
    ['someone else downloads (refused)', () => fetch(`${server.url}/v1/files/${fileId}`, { headers: { authorization: `Bearer ${other.token()}` } }), [['file.download', 'refused', x]]],
    ['revoke (and the rotation it writes)', () => owner.vault.revoke(id, l), [['grant.revoke', 'ok', o], ['record.read', 'ok', o], ['record.update', 'ok', o]]],
    ['revoked reviewer reads (refused)', () => lawyer.vault.getRecord(id), [['record.read', 'refused', l]]],
    ['login', () => Vault.login({ server: server.url, handle: o, passphrase: 'p', ...testClient }), [['account.login', 'ok', o]]],
    ['failed login', () => Vault.login({ server: server.url, handle: o, passphrase: 'wrong', ...testClient }), [['account.login-failed', 'refused', o]]],
    ['failed login, unknown handle (not recorded)', () => Vault.login({ server: server.url, handle: 'no-such-person', passphrase: 'p', ...testClient }), [['account.login-failed', 'refused', null]]],
    ['passphrase change', () => other.vault.changePassphrase('p', 'p2'), [['account.passphrase-change', 'ok', x]]],
    ['upload status of a complete file (hands out its wrapped key: a read)', () => call(owner.token(), 'GET', `/files/${fileId}/upload`), [['record.read', 'ok', o]]],
    ['upload status of an open upload (no event)', async () => call(owner.token(), 'GET', `/files/${await startUpload(owner.token(), id)}/upload`), []],
    ['completing a complete file again (a read)', () => call(owner.token(), 'POST', `/files/${fileId}/complete`, { totalChunks: 2, encryptedSize: CHUNK + 5 + 2 * CHUNK_OVERHEAD }), [['record.read', 'ok', o]]],
    ['someone else starts an upload into the record (refused)', () => call(other.token(), 'POST', `/records/${id}/files`, {
      fileId: randomUUID(), chunkSize: CHUNK, partChunks: 1, header: zeros(STREAM_HEADER_BYTES), wrappedKey: zeros(WRAPPED_FILE_KEY_BYTES),
    }), [['file.upload', 'refused', x]]],
    ['someone else asks for the upload status (refused)', () => call(other.token(), 'GET', `/files/${fileId}/upload`), [['file.upload', 'refused', x]]],
    ['someone else sends a part (refused)', () => call(other.token(), 'PUT', `/files/${fileId}/parts/0`, new Uint8Array(CHUNK + CHUNK_OVERHEAD)), [['file.upload', 'refused', x]]],
    ['someone else completes the upload (refused)', () => call(other.token(), 'POST', `/files/${fileId}/complete`, { totalChunks: 2, encryptedSize: CHUNK + 5 + 2 * CHUNK_OVERHEAD }), [['file.upload', 'refused', x]]],
    ['someone else reads the versions (refused)', () => call(other.token(), 'GET', `/records/${id}/versions`), [['record.read', 'refused', x]]],
    ['someone else shares the record (refused)', () => call(other.token(), 'POST', `/records/${id}/grants`, {
      grantee: l, keyVersion: 1, grantedAt: new Date().toISOString(), expiresAt: null, signature: zeros(64), sealedKeys: [{ keyVersion: 1, sealedKey: zeros(SEALED_RECORD_KEY_BYTES) }],
    }), [['grant.share', 'refused', x]]],
    ['someone else deletes the record (refused)', () => call(other.token(), 'DELETE', `/records/${id}`, { version: 1, signature: zeros(64) }), [['record.delete', 'refused', x]]],
    ['end another session of ones own', async () => {
      await Vault.login({ server: server.url, handle: o, passphrase: 'p', ...testClient });
      const elsewhere = (await owner.vault.sessions()).find((x) => !x.current)!;
      await owner.vault.endSession(elsewhere.id);
    }, [['account.login', 'ok', o], ['session.end', 'ok', o]]],
    ['someone else ends a session of the owner (refused)', async () => call(other.token(), 'DELETE', `/sessions/${(await owner.vault.sessions())[0]!.id}`), [['session.end', 'refused', x]]],
    ['register', () => Vault.register({ server: server.url, handle: newcomer, passphrase: 'p', state: new MemoryStateStore(), ...testClient }),
      [['account.register', 'ok', newcomer], ['account.login', 'ok', newcomer]]],
    ['delete', () => owner.vault.deleteRecord(id), [['record.read', 'ok', o], ['record.delete', 'ok', o]]],
    ['logout', () => owner.vault.logout(), [['session.end', 'ok', o]]],
  ];
  for (const [name, action, expected] of table) t.same(await appended(action), expected, name);
});

t.test('recovery attempts, and a session that does not know the passphrase, are events', async (t) => {
  // A client that sends a key other than the one it proved: the one way past the client's own checks.
  let swap: { path: string; field: string } | null = null;
  const swapping: typeof fetch = async (input, init) => {
    if (swap && String(input).endsWith(swap.path) && typeof init?.body === 'string') {
      const body = JSON.parse(init.body) as Record<string, string>;
      const key = body[swap.field]!;
      body[swap.field] = (key[0] === 'A' ? 'B' : 'A') + key.slice(1);
      return fetch(input, { ...init, body: JSON.stringify(body) });
    }
    return fetch(input, init);
  };
  const h = handle('recover');
  const connect = { server: server.url, handle: h, state: new MemoryStateStore(), fetch: swapping, ...testClient };
  const { vault, recoveryKey } = await Vault.register({ ...connect, passphrase: 'p' });
  const { recoveryKey: anotherAccountsWords } = await Vault.register({ ...connect, handle: handle('recover'), passphrase: 'p' });
  t.same(await appended(() => Vault.recover({ ...connect, recoveryKey: anotherAccountsWords, newPassphrase: 'x' })),
    [['account.recover-start', 'refused', h]], 'a recovery key that is not the account\'s');
  t.same(await appended(() => Vault.recover({ ...connect, handle: 'no-such-person', recoveryKey, newPassphrase: 'x' })),
    [['account.recover-start', 'refused', null]], 'an unknown handle (logged without it, as a failed login is)');
  swap = { path: '/recover/finish', field: 'recoveryAuthKey' };
  t.same(await appended(() => Vault.recover({ ...connect, recoveryKey, newPassphrase: 'x' })),
    [['account.recover-start', 'ok', h], ['account.recover', 'refused', h]], 'a finish with another key');
  swap = { path: '/account/passphrase', field: 'currentLoginKey' };
  t.same(await appended(() => vault.changePassphrase('p', 'x')),
    [['account.passphrase-change', 'refused', h]], 'a passphrase change by a session that does not know the passphrase');
  swap = null;
  t.same(await appended(() => Vault.recover({ ...connect, recoveryKey, newPassphrase: 'new' })),
    [['account.recover-start', 'ok', h], ['account.recover', 'ok', h], ['account.login', 'ok', h]], 'a recovery, then the login it ends with');
});

t.test('an expired grant is logged as such when refused', async (t) => {
  const owner = await person('coord');
  const lawyer = await person('lawyer');
  const { id } = await owner.vault.createRecord({ title: 't', narrative: 'n' });
  await owner.vault.share(id, lawyer.handle, { expiresAt: new Date(Date.now() + 1500) });
  await new Promise((r) => setTimeout(r, 1800));
  t.same(await appended(() => lawyer.vault.getRecord(id)), [['record.read', 'expired', lawyer.handle]]);
});

t.test('fail closed: when the event cannot be written, the action fails and changes nothing', async (t) => {
  const owner = await person('coord');
  const { id } = await owner.vault.createRecord({ title: 'before', narrative: 'n' });
  const size = await treeSize(db);
  await sql`create or replace function audit_refuse() returns trigger language plpgsql as $$ begin raise exception 'audit log unavailable'; end $$`.execute(db);
  await sql`create trigger audit_refuse before insert on audit_events for each row execute function audit_refuse()`.execute(db);
  try {
    await t.rejects(owner.vault.updateRecord(id, { title: 'after' }), { status: 500, code: 'VAULT_ERR_INTERNAL' }, 'an update');
    await t.rejects(owner.vault.createRecord({ title: 'new', narrative: 'n' }), { status: 500, code: 'VAULT_ERR_INTERNAL' }, 'a create');
    await t.rejects(owner.vault.getRecord(id), { status: 500, code: 'VAULT_ERR_INTERNAL' }, 'even a read is refused');
    await t.rejects(Vault.login({ server: server.url, handle: owner.handle, passphrase: 'p', ...testClient }), { status: 500, code: 'VAULT_ERR_INTERNAL' }, 'a login');
  } finally {
    await sql`drop trigger audit_refuse on audit_events`.execute(db);
  }
  t.equal(await treeSize(db), size, 'no event was written');
  t.equal((await owner.vault.getRecord(id)).fields.title, 'before', 'the update did not happen');
  t.equal(Number((await db.selectFrom('records').select((eb) => eb.fn.countAll().as('n')).where('owner_id', '=', (await db.selectFrom('accounts').select('id').where('handle', '=', owner.handle).executeTakeFirstOrThrow()).id).executeTakeFirstOrThrow()).n), 1, 'nor the create');
});

t.test('fail closed for every kind of action, refusals included: an error in the documented shape, nothing served, nothing changed', async (t) => {
  const { owner, lawyer, other, id, fileId } = await scene('kept');
  await owner.vault.share(id, lawyer.handle);
  const upload = await startUpload(owner.token(), id);
  const raw = (token: string, method: string, path: string) => fetch(`${server.url}/v1${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  const size = await treeSize(db);
  const INTERNAL = { status: 500, code: 'VAULT_ERR_INTERNAL' };
  await sql`create or replace function audit_refuse() returns trigger language plpgsql as $$ begin raise exception 'audit log unavailable'; end $$`.execute(db);
  await sql`create trigger audit_refuse before insert on audit_events for each row execute function audit_refuse()`.execute(db);
  try {
    await t.rejects(owner.vault.listRecords(), INTERNAL, 'a list');
    await t.rejects(lawyer.vault.getRecord(id), INTERNAL, "a reviewer's read");
    await t.rejects(owner.vault.revoke(id, lawyer.handle), INTERNAL, 'a revoke');
    await t.rejects(owner.vault.logout(), INTERNAL, 'a logout');
    await t.rejects(other.vault.getRecord(id), INTERNAL, "a refused read of someone else's record");
    const answers: [string, Response][] = [
      ['a download', await raw(owner.token(), 'GET', `/files/${fileId}`)],
      ['sealed keys', await raw(owner.token(), 'GET', `/records/${id}/keys`)],
      ['abandoning an upload', await raw(owner.token(), 'DELETE', `/files/${upload}`)],
      ["a refused download of someone else's file", await raw(other.token(), 'GET', `/files/${fileId}`)],
      ["a refused read of someone else's record versions", await raw(other.token(), 'GET', `/records/${id}/versions`)],
    ];
    for (const [what, res] of answers) {
      const text = await res.text();
      t.equal(res.status, 500, `${what}: 500`);
      t.same(JSON.parse(text), { statusCode: 500, code: 'VAULT_ERR_INTERNAL', message: 'internal error' }, `${what}: the documented error, not the database's words`);
    }
  } finally {
    await sql`drop trigger audit_refuse on audit_events`.execute(db);
  }
  t.equal(await treeSize(db), size, 'no event was written');
  t.equal((await lawyer.vault.getRecord(id)).fields.title, 'kept', 'the grant was not revoked');
  t.equal((await raw(owner.token(), 'GET', '/account')).status, 200, 'the session was not ended (the client forgot its token and keys all the same)');
  t.equal((await raw(owner.token(), 'GET', `/files/${upload}/upload`)).status, 200, 'the upload was not abandoned');
});

t.test('a refusal whose event fails for a reason that looks like bad input is still a 500, not one more 4xx', async (t) => {
  const { other, id } = await scene('t');
  await sql`create or replace function audit_refuse() returns trigger language plpgsql as $$ begin raise exception using errcode = 'unique_violation', message = 'looks like a conflict'; end $$`.execute(db);
  await sql`create trigger audit_refuse before insert on audit_events for each row execute function audit_refuse()`.execute(db);
  try {
    const res = await fetch(`${server.url}/v1/records/${id}`, { headers: { authorization: `Bearer ${other.token()}` } });
    t.equal(res.status, 500);
    t.same(await res.json(), { statusCode: 500, code: 'VAULT_ERR_INTERNAL', message: 'internal error' });
  } finally {
    await sql`drop trigger audit_refuse on audit_events`.execute(db);
  }
});

t.test('HEAD: only the health checks answer it; a HEAD on a file or an audited read runs nothing and logs nothing', async (t) => {
  const { owner, id, fileId } = await scene('t');
  for (const path of ['/health', '/ready']) t.equal((await fetch(`${server.url}${path}`, { method: 'HEAD' })).status, 200, `HEAD ${path}`);
  const before = await treeSize(db);
  for (const path of [`/v1/files/${fileId}`, `/v1/records/${id}`, `/v1/records/${id}/keys`, `/v1/files/${fileId}/upload`]) {
    t.equal((await fetch(`${server.url}${path}`, { method: 'HEAD', headers: { authorization: `Bearer ${owner.token()}` } })).status, 404, `HEAD ${path}: no such route`);
  }
  t.equal(await treeSize(db), before, 'no event');
});

t.test('200 parallel actions from several clients make one consistent tree', async (t) => {
  const people = await Promise.all([person('a'), person('b'), person('c'), person('d')]);
  const records = await Promise.all(people.map((p) => p.vault.createRecord({ title: 't', narrative: 'n' })));
  const before = await treeSize(db);
  await Promise.all(Array.from({ length: 200 }, (_, i) => people[i % 4]!.vault.getRecord(records[i % 4]!.id)));
  const size = await treeSize(db);
  t.equal(size - before, 200, 'exactly 200 events');
  const rows = await db.selectFrom('audit_events').select(['idx', 'leaf', 'leaf_hash']).orderBy('idx').execute();
  t.same(rows.map((r) => Number(r.idx)), Array.from({ length: size }, (_, i) => i), 'indices 0..n-1, no gap, no duplicate');
  t.ok(rows.every((r, i) => decodeAuditEvent(r.leaf).index === i && Buffer.from(hashLeaf(r.leaf)).equals(r.leaf_hash)), 'each leaf names its own index');
  t.same(Buffer.from(await storedRoot(db, size)), Buffer.from(rootHash(rows.map((r) => new Uint8Array(r.leaf_hash)))), 'the stored subtrees give the root of all leaves');
  // Each record's chain links every event about it to the one before.
  for (const r of records) {
    const chain = rows.map((row) => decodeAuditEvent(row.leaf)).filter((e) => e.recordId === r.id);
    const linked = chain.every((e, i) => (i === 0 ? e.prev === null : Buffer.from(e.prev!).equals(Buffer.from(hashLeaf(rows[chain[i - 1]!.index]!.leaf)))));
    t.ok(linked, `record ${r.id.slice(0, 8)}: ${chain.length} events chained`);
  }
});

t.test('the log key, checkpoint and proofs routes', async (t) => {
  const owner = await person('coord');
  const key = (await (await fetch(`${server.url}/v1/audit/key`)).json()) as { origin: string; verifierKey: string };
  t.match(key.verifierKey, new RegExp(`^${key.origin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\+[0-9a-f]{8}\\+`), 'a signed-note verifier key');
  const auth = { headers: { authorization: `Bearer ${owner.token()}` } };
  const cp = (await (await fetch(`${server.url}/v1/audit/checkpoint`, auth)).json()) as { checkpoint: string };
  t.match(cp.checkpoint, /^[^\n]+\n\d+\n[A-Za-z0-9+/]{43}=\n\n\u2014 \S+ [A-Za-z0-9+/=]+\n$/, 'a C2SP checkpoint');
  const bad = await fetch(`${server.url}/v1/audit/inclusion?index=${Number.MAX_SAFE_INTEGER - 1}&size=${Number.MAX_SAFE_INTEGER}`, auth);
  t.equal(bad.status, 400, 'a proof beyond the tree is a 400');
  const events = await fetch(`${server.url}/v1/audit/events`, auth);
  t.equal(events.status, 403, 'the whole log is for administrators');
  t.equal((await fetch(`${server.url}/v1/records/${randomUUID()}/history?size=1`, auth)).status, 404);
});

t.test('an administrator reads the whole log, page by page; others cannot', async (t) => {
  // The first account registered on this server is its administrator.
  const first = await db.selectFrom('accounts').select('handle').where('is_admin', '=', true).executeTakeFirstOrThrow();
  const admin = await Vault.login({ server: server.url, handle: first.handle, passphrase: 'p', ...testClient });
  const all = [];
  let after: number | undefined;
  for (;;) {
    const page = await admin.auditLog({ limit: 50, ...(after === undefined ? {} : { after }) });
    all.push(...page.events);
    if (page.next === null) break;
    after = page.next;
  }
  t.same(all.map((e) => e.index), Array.from({ length: all.length }, (_, i) => i), 'every event, in order, once');
  t.ok(all.length >= (await treeSize(db)) - 1, 'up to the current size');
  const someone = await person('nobody');
  await t.rejects(someone.vault.auditLog(), { status: 403, code: 'VAULT_ERR_FORBIDDEN' });
});
