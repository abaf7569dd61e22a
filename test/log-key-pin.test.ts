import { randomBytes } from 'node:crypto';
import t from 'tap';
import { AuditLogError, MemoryStateStore, Vault } from '@testimony-vault/client';
import { buildApp } from '../server/src/app.ts';
import { build, handle, testClient } from './helper.ts';

// [Note: the log key in the account], from the hostile operator's side. The web client keeps
// no state, so each login is a first use; here every login gets a fresh MemoryStateStore, as
// a browser tab does. The operator restarts the server on the same database with another log
// key (to sign a rewritten log): the attacker review saw the browser believe it.

const server = await build(t);
const swapped = await buildApp({ config: { ...server.config, AUDIT_SIGNING_KEY: randomBytes(32).toString('base64') }, db: server.db });
const swappedUrl = await swapped.listen({ host: '127.0.0.1', port: 0 });
t.teardown(() => swapped.close());

const PASS = 'p';
const freshLogin = (url: string, h: string, fetch?: typeof globalThis.fetch) =>
  Vault.login({ server: url, handle: h, passphrase: PASS, state: new MemoryStateStore(), ...(fetch ? { fetch } : {}), ...testClient });

t.test("an account made now refuses a log key other than the one it was made under, on every new device", async (t) => {
  const h = handle('coord');
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: PASS, ...testClient });
  const { id } = await vault.createRecord({ title: 'testimonio', narrative: 'n' });

  const honest = await freshLogin(server.url, h);
  t.equal((await honest.recordHistory(id)).length, 2, "the genuine key: a new device reads the history");

  const fooled = await freshLogin(swappedUrl, h);
  await t.rejects(fooled.auditCheckpoint(), AuditLogError, 'the swapped key is refused at the first checkpoint');
  await t.rejects(fooled.recordHistory(id), { name: 'AuditLogError', message: /not the one this account pinned when it was made/ }, 'and so is any history');
});

t.test('the server cannot take the pin out of the account', async (t) => {
  const h = handle('lawyer');
  await Vault.register({ server: server.url, handle: h, passphrase: PASS, ...testClient });
  // The login answer with the last 32 bytes of the private-key envelope cut off.
  const strip: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (new URL(String(input)).pathname !== '/v1/auth/login' || !res.ok) return res;
    const body = (await res.json()) as { keys: { wrappedPrivateKeys: string } };
    const bytes = Buffer.from(body.keys.wrappedPrivateKeys, 'base64url');
    body.keys.wrappedPrivateKeys = bytes.subarray(0, bytes.length - 32).toString('base64url');
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
  };
  await t.rejects(freshLogin(swappedUrl, h, strip), { name: 'DecryptionError' }, 'an envelope without it does not open: the login fails, it is not taken as an older account');
});

t.test('an account made where the server named no log key pins on first use, as before', async (t) => {
  const h = handle('old');
  const noKey: typeof fetch = async (input, init) =>
    new URL(String(input)).pathname === '/v1/audit/key' ? new Response('{"error":"gone"}', { status: 404, headers: { 'content-type': 'application/json' } }) : fetch(input, init);
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: PASS, fetch: noKey, ...testClient });
  const { id } = await vault.createRecord({ title: 't', narrative: 'n' });
  const row = await server.db.selectFrom('accounts').select('wrapped_private_keys').where('handle', '=', h).executeTakeFirstOrThrow();
  t.equal(row.wrapped_private_keys.length, 1 + 24 + 96 + 16, 'its envelope is the earlier, shorter one');
  const later = await freshLogin(swappedUrl, h);
  t.equal((await later.recordHistory(id)).length, 2, 'such an account (like every account made before) trusts the key it meets first: the limit the pin closes');
});
