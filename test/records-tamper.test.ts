import { randomUUID } from 'node:crypto';
import t from 'tap';
import { sql } from 'kysely';
import { DecryptionError, IntegrityError, MemoryStateStore, RollbackError, SignatureError, Vault } from '@testimony-vault/client';
import { build, handle, testClient } from './helper.ts';

// A hostile operator edits the database directly. The client must refuse, with an
// IntegrityError (of the specific kind), never return altered data, never return nothing.

const server = await build(t);
const db = server.db;
const newVault = async () => (await Vault.register({ server: server.url, handle: handle('victim'), passphrase: 'p', ...testClient })).vault;

async function body(id: string, version = 1) {
  return (await db.selectFrom('record_versions').select(['body', 'signature']).where('record_id', '=', id).where('version', '=', version).executeTakeFirstOrThrow());
}
async function setVersion(id: string, version: number, values: { body?: Buffer; signature?: Buffer; author_id?: string }) {
  await db.updateTable('record_versions').set(values).where('record_id', '=', id).where('version', '=', version).execute();
}

t.test('one flipped byte anywhere in the body', async (t) => {
  const vault = await newVault();
  const { id } = await vault.createRecord({ title: 'a', narrative: 'b' });
  const original = await body(id);
  for (const position of [0, 1, 30, original.body.length - 1]) {
    const tampered = Buffer.from(original.body);
    tampered[position]! ^= 0x01;
    await setVersion(id, 1, { body: tampered });
    await t.rejects(vault.getRecord(id), SignatureError, `byte ${position} flipped`);
  }
  await setVersion(id, 1, { body: original.body });
  t.equal((await vault.getRecord(id)).fields.title, 'a', 'the untouched row still reads');
});

t.test('a flipped byte with a re-made signature from another key is still refused', async (t) => {
  // Even if the server could make signatures (it cannot), decryption catches the change.
  const vault = await newVault();
  const { id } = await vault.createRecord({ title: 'a', narrative: 'b' });
  const { signature } = await body(id);
  const tamperedSig = Buffer.from(signature);
  tamperedSig[10]! ^= 0x80;
  await setVersion(id, 1, { signature: tamperedSig });
  await t.rejects(vault.getRecord(id), SignatureError);
  await setVersion(id, 1, { signature: Buffer.alloc(0) });
  await t.rejects(vault.getRecord(id), SignatureError, 'an empty (missing) signature');
  await setVersion(id, 1, { signature: Buffer.alloc(64) });
  await t.rejects(vault.getRecord(id), SignatureError, 'an all-zero signature');
});

t.test('bodies and signatures swapped between two records', async (t) => {
  const vault = await newVault();
  const a = await vault.createRecord({ title: 'record A', narrative: 'a' });
  const b = await vault.createRecord({ title: 'record B', narrative: 'b' });
  const ra = await body(a.id);
  const rb = await body(b.id);
  await setVersion(a.id, 1, { body: rb.body });
  await t.rejects(vault.getRecord(a.id), SignatureError, 'body only');
  await setVersion(a.id, 1, { body: rb.body, signature: rb.signature });
  await setVersion(b.id, 1, { body: ra.body, signature: ra.signature });
  await t.rejects(vault.getRecord(a.id), SignatureError, 'body and signature: the signature names record B');
  await t.rejects(vault.getRecord(b.id), SignatureError);
  const listed = await vault.listRecords().catch((e: unknown) => e);
  t.ok(listed instanceof IntegrityError, 'listing refuses too (an IntegrityError)');
});

t.test('two versions of one record swapped', async (t) => {
  const vault = await newVault();
  const { id } = await vault.createRecord({ title: 'v1', narrative: 'first' });
  await vault.updateRecord(id, { title: 'v2' });
  const v1 = await body(id, 1);
  const v2 = await body(id, 2);
  await setVersion(id, 1, { body: v2.body, signature: v2.signature });
  await setVersion(id, 2, { body: v1.body, signature: v1.signature });
  await t.rejects(vault.getRecord(id), SignatureError, 'latest');
  await t.rejects(vault.getRecord(id, { version: 1 }), SignatureError, 'version 1');
  await t.rejects(vault.recordVersions(id), SignatureError, 'history');
});

t.test('sealed record keys swapped between records', async (t) => {
  const vault = await newVault();
  const a = await vault.createRecord({ title: 'A', narrative: 'a' });
  const b = await vault.createRecord({ title: 'B', narrative: 'b' });
  const ka = await db.selectFrom('record_keys').select('sealed_key').where('record_id', '=', a.id).executeTakeFirstOrThrow();
  const kb = await db.selectFrom('record_keys').select('sealed_key').where('record_id', '=', b.id).executeTakeFirstOrThrow();
  await db.updateTable('record_keys').set({ sealed_key: kb.sealed_key }).where('record_id', '=', a.id).execute();
  await db.updateTable('record_keys').set({ sealed_key: ka.sealed_key }).where('record_id', '=', b.id).execute();
  await t.rejects(vault.getRecord(a.id), DecryptionError, "B's key is refused for A: the sealed context names B");
});

t.test('an old version presented as the latest (rollback)', async (t) => {
  const vault = await newVault();
  const { id } = await vault.createRecord({ title: 'v1', narrative: 'x' });
  await vault.updateRecord(id, { title: 'v2' });
  await vault.updateRecord(id, { title: 'v3' });
  t.equal((await vault.getRecord(id)).version, 3);

  // The operator hides version 3: first by pointing "current" back, then by deleting it.
  await db.updateTable('records').set({ current_version: 2 }).where('id', '=', id).execute();
  await t.rejects(vault.getRecord(id), RollbackError, 'current pointer moved back');
  await t.rejects(vault.listRecords(), RollbackError, 'listing sees it too');
  await t.rejects(vault.getRecord(id, { version: 1 }), RollbackError, 'a server claiming latest = 2 is caught on any read');
  await db.deleteFrom('record_versions').where('record_id', '=', id).where('version', '=', 3).execute();
  await t.rejects(vault.getRecord(id), RollbackError, 'version 3 deleted');
  await t.rejects(vault.recordVersions(id), RollbackError, 'a history that stops at 2');

  // Limit, documented: a client that never saw version 3 cannot know it existed.
  const fresh = await Vault.login({ server: server.url, handle: vault.handle, passphrase: 'p', ...testClient });
  t.equal((await fresh.getRecord(id)).version, 2, 'a fresh client accepts version 2 (the audit log will close this)');
});

t.test('a version written by someone else is refused, though validly signed by them', async (t) => {
  const victim = await newVault();
  const attacker = await newVault();
  const { id } = await victim.createRecord({ title: 'genuine', narrative: 'x' });
  // The attacker makes a real record, then the operator moves its version into the victim's record.
  const forged = await attacker.createRecord({ title: 'forged', narrative: 'y' });
  const attackerId = (await db.selectFrom('accounts').select('id').where('handle', '=', attacker.handle).executeTakeFirstOrThrow()).id;
  const f = await body(forged.id);
  await setVersion(id, 1, { body: f.body, signature: f.signature, author_id: attackerId });
  await t.rejects(victim.getRecord(id), SignatureError);
});

t.test("the author's public keys replaced by the operator", async (t) => {
  const vault = await newVault();
  const other = await newVault();
  const { id } = await vault.createRecord({ title: 'a', narrative: 'b' });
  // Keys and self-signature of another account, under the victim's handle.
  await sql`update accounts v set sign_public_key = o.sign_public_key, box_public_key = o.box_public_key, identity_signature = o.identity_signature
            from accounts o where v.handle = ${vault.handle} and o.handle = ${other.handle}`.execute(db);
  await t.rejects(vault.getRecord(id), SignatureError);
});

t.test('a server that names another account id at login does not switch rollback detection off', async (t) => {
  // The client's memory of versions seen is shared between logins (one state store, as the
  // Node FileStateStore is). The login answer's account id is the server's word only.
  const state = new MemoryStateStore();
  const h = handle('renamed');
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state, ...testClient });
  const { id } = await vault.createRecord({ title: 'v1', narrative: 'x' });
  await vault.updateRecord(id, { title: 'v2: the correction naming the perpetrator' });
  await db.deleteFrom('record_versions').where('record_id', '=', id).where('version', '=', 2).execute();
  await db.updateTable('records').set({ current_version: 1 }).where('id', '=', id).execute();

  const renaming: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (new URL(String(input)).pathname !== '/v1/auth/login' || !res.ok) return res;
    const answer = (await res.json()) as { account: { id: string } };
    answer.account.id = randomUUID();
    return Response.json(answer);
  };
  const fooled = await Vault.login({ server: server.url, handle: h, passphrase: 'p', state, fetch: renaming, ...testClient });
  await t.rejects(fooled.getRecord(id), RollbackError, 'version 1 presented as the latest');
  await t.rejects(fooled.listRecords(), RollbackError, 'listing too');
  await t.rejects(fooled.recordVersions(id), RollbackError, 'a history that stops at 1');
});

t.test('version pages that do not advance are refused, not followed for ever', async (t) => {
  const vault = await newVault();
  const { id } = await vault.createRecord({ title: 'v1', narrative: 'x' });
  await vault.updateRecord(id, { title: 'v2' });
  let token = '';
  const real = async (after: number) =>
    (await (await fetch(`${server.url}/v1/records/${id}/versions?after=${after}&limit=1`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      versions: unknown[];
      next: number | null;
    };
  // Each hostile pager gets the query's `after`; the wrapper gives up after 50 pages, so a
  // client that keeps following fails with a NetworkError instead of hanging the test.
  const pagers: [string, (after: number) => Promise<unknown>][] = [
    ['empty pages pointing back to the start', async () => ({ versions: [], next: 0 })],
    ['empty pages that always move on', async (after) => ({ versions: [], next: after + 1 })],
    ['a real page whose next names an earlier version', async (after) => ({ ...(await real(after)), next: 0 })],
    ['a real page whose next skips ahead', async (after) => ({ ...(await real(after)), next: after + 5 })],
  ];
  for (const [name, pager] of pagers) {
    let pages = 0;
    const hostile: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      if (url.pathname === '/v1/auth/login') {
        const res = await fetch(input, init);
        token = ((await res.clone().json()) as { token: string }).token;
        return res;
      }
      if (!url.pathname.endsWith('/versions') || (init?.method ?? 'GET') !== 'GET') return fetch(input, init);
      if (++pages > 50) throw new Error('the client is still following pages');
      // With a made-up event index, as the client requires one (docs/PROTOCOL.md "Events told to the client").
      return Response.json(await pager(Number(url.searchParams.get('after'))), { headers: { 'audit-events': `${2 ** 40 + pages}:${id}` } });
    };
    const client = await Vault.login({ server: server.url, handle: vault.handle, passphrase: 'p', fetch: hostile, ...testClient });
    await t.rejects(client.recordVersions(id), RollbackError, name);
  }
});
