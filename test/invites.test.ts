import t from 'tap';
import { Vault } from '../client-lib/src/index.ts';
import { build, handle, testClient } from './helper.ts';

t.test('invite-only registration', async (t) => {
  const server = await build(t, { REGISTRATION: 'invite' });
  const connect = (h: string) => ({ server: server.url, handle: h, ...testClient });

  const admin = (await Vault.register({ ...connect(handle('admin')), passphrase: 'admin' })).vault;
  t.ok(admin.isAdmin, 'the first account is the administrator');

  await t.rejects(Vault.register({ ...connect(handle()), passphrase: 'x' }), { status: 403, code: 'VAULT_ERR_INVITE_REQUIRED' });
  await t.rejects(Vault.register({ ...connect(handle()), passphrase: 'x', inviteCode: 'made-up-code' }), { status: 403, code: 'VAULT_ERR_INVITE_INVALID' });

  const invite = await admin.createInvite();
  t.ok(invite.expiresAt > new Date(), 'invite expires in the future');
  const lawyer = (await Vault.register({ ...connect(handle('lawyer')), passphrase: 'x', inviteCode: invite.code })).vault;
  t.notOk(lawyer.isAdmin, 'later accounts are not administrators');
  await t.rejects(Vault.register({ ...connect(handle()), passphrase: 'x', inviteCode: invite.code }), { code: 'VAULT_ERR_INVITE_INVALID' }, 'single use');

  await t.rejects(lawyer.createInvite(), { status: 403, code: 'VAULT_ERR_FORBIDDEN' }, 'only administrators invite');

  // A failed registration (handle taken) does not burn the invite.
  const second = await admin.createInvite();
  await t.rejects(Vault.register({ ...connect(lawyer.handle), passphrase: 'x', inviteCode: second.code }), { code: 'VAULT_ERR_HANDLE_TAKEN' });
  await Vault.register({ ...connect(handle()), passphrase: 'x', inviteCode: second.code });

  // An expired invite is refused.
  const third = await admin.createInvite({ expiresInSeconds: 60 });
  await server.db.updateTable('invites').set({ expires_at: new Date(Date.now() - 1000) }).where('used_at', 'is', null).execute();
  await t.rejects(Vault.register({ ...connect(handle()), passphrase: 'x', inviteCode: third.code }), { code: 'VAULT_ERR_INVITE_INVALID' });

  const codes = await server.db.selectFrom('invites').select('code_hash').execute();
  const stored = codes.map((c) => c.code_hash.toString('hex')).join();
  t.notOk(stored.includes(Buffer.from(invite.code).toString('hex')), 'invite codes are stored hashed');
});

t.test('open registration needs no invite, and the first account is still the administrator', async (t) => {
  const server = await build(t, { REGISTRATION: 'open' });
  const first = (await Vault.register({ server: server.url, handle: handle(), passphrase: 'x', ...testClient })).vault;
  const second = (await Vault.register({ server: server.url, handle: handle(), passphrase: 'x', ...testClient })).vault;
  t.ok(first.isAdmin);
  t.notOk(second.isAdmin);
});

t.test('concurrent first registrations make exactly one administrator', async (t) => {
  const server = await build(t, { REGISTRATION: 'invite' });
  const results = await Promise.allSettled(
    [1, 2, 3, 4].map(() => Vault.register({ server: server.url, handle: handle(), passphrase: 'x', ...testClient })),
  );
  const admins = await server.db.selectFrom('accounts').select('is_admin').where('is_admin', '=', true).execute();
  t.equal(admins.length, 1, 'one administrator');
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'the others needed an invite');
});
