import { randomBytes } from 'node:crypto';
import t from 'tap';
import { Migrator, sql } from 'kysely';
import { Vault, VaultError } from '@testimony-vault/client';
import { migrations } from '../migrations/index.ts';
import { build, handle, recordingFetch, testClient, testDatabase } from './helper.ts';
import { dumpAllTables, findNeedles } from './scan.ts';

// Session labels from the attacker's side ([Note: session labels] in client-lib): a
// database thief reads no device name, and a server that moves a label to another session
// (or alters it) is caught by the account's own client.

const server = await build(t);
const passphrase = 'cometa almendra túnel orquesta';
const connect = (h: string, device?: string) => ({ server: server.url, handle: h, passphrase, ...testClient, ...(device === undefined ? {} : { device }) });
const unique = () => randomBytes(4).toString('hex');

t.test('a database thief reads no device name in the sessions table, or anywhere else', async (t) => {
  const h = handle('lbl');
  const laptop = `tvault on linux ${unique()}`;
  const phone = `Firefox en Android ${unique()}`;
  const { vault } = await Vault.register({ ...connect(h, laptop) });
  await Vault.login(connect(h, phone));

  const dump = await dumpAllTables(server.db);
  t.same(findNeedles(dump, [{ name: 'laptop', value: laptop }, { name: 'phone', value: phone }]), [], 'neither name, in any encoding');
  const rows = await sql<{ label: Buffer | null }>`select label from sessions`.execute(server.db);
  t.same(rows.rows.map((r) => r.label?.length).sort(), [169, 169], 'two labels, of one size whatever their length');
  t.same((await vault.sessions()).map((s) => s.device).sort(), [laptop, phone].sort(), 'the account itself reads both');
});

t.test("a server that swaps two sessions' labels, moves one from another account, or alters one is caught", async (t) => {
  const h = handle('swap');
  const { vault } = await Vault.register({ ...connect(h, 'laptop') });
  await Vault.login(connect(h, 'phone'));
  const ids = async () => (await vault.sessions()).map((s) => s.id);
  const [a, b] = await ids();

  // Swap: each label is a valid ciphertext of this very account, in the other session's row.
  await sql`update sessions set label = case when id = ${a}::uuid then (select label from sessions where id = ${b}::uuid) else (select label from sessions where id = ${a}::uuid) end
    where id in (${a}::uuid, ${b}::uuid)`.execute(server.db);
  const swapped = await vault.sessions();
  t.same(swapped.map((s) => [s.device, s.deviceUnreadable]), [[null, true], [null, true]], 'both are unreadable, neither shown under the name of the other');

  // Another account's label for a session of this one.
  const other = handle('other');
  await Vault.register({ ...connect(other, 'phone') });
  await sql`update sessions set label = (select s.label from sessions s join accounts x on x.id = s.account_id where x.handle = ${other}) where id = ${b}::uuid`.execute(server.db);
  t.match((await vault.sessions()).find((s) => s.id === b), { deviceUnreadable: true, device: null }, "another account's label is unreadable here");

  // One byte changed.
  await Vault.login(connect(h, 'tablet'));
  const tablet = (await vault.sessions()).find((s) => s.device === 'tablet')!;
  await sql`update sessions set label = set_byte(label, 100, get_byte(label, 100) # 1) where id = ${tablet.id}::uuid`.execute(server.db);
  t.match((await vault.sessions()).find((s) => s.id === tablet.id), { device: null, deviceUnreadable: true }, 'an altered label is unreadable');
});

t.test('bad labels are refused with a stable code, and a bad device name never leaves the client', async (t) => {
  const h = handle('bad');
  const { vault } = await Vault.register({ ...connect(h) });
  const put = (label: unknown, auth = true) =>
    server.app.inject({
      method: 'PUT',
      url: '/v1/sessions/current/label',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${bearer}` } : {}) },
      payload: JSON.stringify({ label }),
    });
  // A second session of the account, for raw requests.
  const bearer = await sessionToken(h);
  const envelope = (first: number, length: number) => Buffer.concat([Buffer.from([first]), randomBytes(length - 1)]).toString('base64url');
  const cases: [string, unknown, number, string][] = [
    ['a version-2 envelope', envelope(2, 169), 400, 'VAULT_ERR_SESSION_LABEL_INVALID'],
    ['a short envelope (its length would tell the label)', envelope(1, 60), 400, 'VAULT_ERR_SESSION_LABEL_INVALID'],
    ['non-canonical base64url', `${envelope(1, 169).slice(0, -1)}B`, 400, 'VAULT_ERR_SESSION_LABEL_INVALID'],
    ['too long', 'A'.repeat(400), 400, 'VAULT_ERR_VALIDATION'],
    ['not base64url', '<script>'.repeat(20), 400, 'VAULT_ERR_VALIDATION'],
    ['not text', { label: 'x' }, 400, 'VAULT_ERR_VALIDATION'],
  ];
  for (const [name, label, status, code] of cases) {
    const res = await put(label);
    t.same([res.statusCode, res.json().code], [status, code], name);
  }
  t.equal((await put(envelope(1, 169), false)).statusCode, 401, 'no session, no label');
  t.equal((await put(envelope(1, 169))).statusCode, 204, 'a well-formed envelope is stored (the server cannot tell more)');
  t.match((await vault.sessions()).find((s) => !s.current && s.deviceUnreadable), { device: null }, 'and reads as unreadable');

  for (const device of ['lap\u0000top', 'a\u202eb', 'x'.repeat(101)]) {
    const seen = recordingFetch();
    await t.rejects(Vault.login({ ...connect(h, device), fetch: seen.fetch }), VaultError, `${JSON.stringify(device.slice(0, 12))} refused`);
    t.same(seen.calls.filter((c) => c.path === '/v1/auth/login'), [], 'before the login is sent');
  }
});

/** A fresh session's bearer token, by logging in through a fetch that keeps it. */
async function sessionToken(h: string): Promise<string> {
  let token = '';
  const keep: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (String(input).endsWith('/v1/auth/login') && res.ok) token = ((await res.clone().json()) as { token: string }).token;
    return res;
  };
  await Vault.login({ ...connect(h), fetch: keep });
  return token;
}

t.test('the migration clears labels stored in the clear before it', async (t) => {
  const { db } = await testDatabase(t, { migrate: false });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  t.notOk((await migrator.migrateTo('0006_audit_append')).error);
  const label = `old clear label ${unique()}`;
  await sql`insert into accounts (handle, kdf_algorithm, kdf_salt, kdf_ops_limit, kdf_mem_limit, login_verifier, wrapped_master_key, recovery_verifier, recovery_wrapped_master_key, sign_public_key, box_public_key, identity_signature, wrapped_private_keys)
    values ('oldie', 'argon2id13', ${randomBytes(16)}, 3, 8192, 'v', ${randomBytes(8)}, 'v', ${randomBytes(8)}, ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(64)}, ${randomBytes(8)})`.execute(db);
  await sql`insert into sessions (account_id, token_hash, device, expires_at) select id, ${randomBytes(32)}, ${label}, now() + interval '1 hour' from accounts`.execute(db);
  t.same(findNeedles(await dumpAllTables(db), [{ name: 'label', value: label }]), ['label'], 'stored in the clear before');
  t.notOk((await migrator.migrateToLatest()).error);
  t.same(findNeedles(await dumpAllTables(db), [{ name: 'label', value: label }]), [], 'gone after');
  const rows = await sql<{ label: Buffer | null }>`select label from sessions`.execute(db);
  t.same(rows.rows, [{ label: null }], 'the session lives on, unnamed');
});
