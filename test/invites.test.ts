import { createHash } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { canonicalInviteCode } from '@testimony-vault/protocol';
import { REGISTRATION_LOCK } from '../server/src/accounts/repository.ts';
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

t.test('an invite code read out over the phone: any case, spaces, O for 0 and I or L for 1; one made before still works', async (t) => {
  const server = await build(t, { REGISTRATION: 'invite' });
  const connect = (h: string) => ({ server: server.url, handle: h, ...testClient });
  const admin = (await Vault.register({ ...connect(handle('admin')), passphrase: 'admin' })).vault;

  const { code } = await admin.createInvite();
  t.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/, `four groups of four, nothing that reads as something else (${code})`);
  // As someone writes down what they heard: lower case, spaces for dashes, a letter for each 0 and 1.
  const heard = code.toLowerCase().replaceAll('-', ' ').replaceAll('0', 'o').replaceAll('1', 'l');
  const joined = (await Vault.register({ ...connect(handle('heard')), passphrase: 'x', inviteCode: ` ${heard} ` })).vault;
  t.ok(joined.handle, 'the code as heard creates the account');
  await t.rejects(Vault.register({ ...connect(handle()), passphrase: 'x', inviteCode: code }), { code: 'VAULT_ERR_INVITE_INVALID' }, 'and it was the same code: used up');

  // Fixed strings, so that every substitution is exercised whatever the random code holds.
  t.equal(canonicalInviteCode('k7qm–2xhd.9rta wapf'), 'K7QM-2XHD-9RTA-WAPF', 'any separator: an en dash, a dot, a space');
  t.equal(canonicalInviteCode('O1IL-oooo-llll-iiii'), '0111-0000-1111-1111', 'O is 0; I and L are 1');
  t.equal(canonicalInviteCode(' IusBE0HSnNdjF_elfaPyjQ '), 'IusBE0HSnNdjF_elfaPyjQ', 'a code of the earlier shape is kept as typed, trimmed');
  t.equal(canonicalInviteCode('ab-cd_ef-gh_jk-mn-pqrs'), 'ab-cd_ef-gh_jk-mn-pqrs', 'even one whose letters would squeeze into a new code');
  await t.rejects(Vault.register({ ...connect(handle()), passphrase: 'x', inviteCode: 'k7qm 2xhd 9rta' }), { code: 'VAULT_ERR_INVITE_INVALID' }, 'a character missed: refused as an invite, not as a form error');

  // An invite of the earlier shape, made before this change: its hash as then, of the code as shown.
  const legacy = 'IusBE0HSnNdjF_elfaPyjQ';
  const adminId = (await server.db.selectFrom('accounts').select('id').where('handle', '=', admin.handle).executeTakeFirstOrThrow()).id;
  await server.db.insertInto('invites').values({ code_hash: createHash('sha256').update(legacy, 'utf8').digest(), created_by: adminId, expires_at: new Date(Date.now() + 60_000) }).execute();
  t.ok((await Vault.register({ ...connect(handle('legacy')), passphrase: 'x', inviteCode: legacy })).vault.handle, 'an earlier code still works, exactly as shown');
});

t.test('open registration needs no invite, and the first account is still the administrator', async (t) => {
  const server = await build(t, { REGISTRATION: 'open' });
  const first = (await Vault.register({ server: server.url, handle: handle(), passphrase: 'x', ...testClient })).vault;
  const second = (await Vault.register({ server: server.url, handle: handle(), passphrase: 'x', ...testClient })).vault;
  t.ok(first.isAdmin);
  t.notOk(second.isAdmin);
});

t.test('concurrent first registrations make exactly one account, the administrator', async (t) => {
  const server = await build(t, { REGISTRATION: 'invite' });
  const racers = 8;
  // On PostgreSQL, another session holds the registration lock until every racer waits on
  // it, so all of them are inside their transactions at once: a server that decided "first
  // account?" before taking the lock lets them all in without an invite. (The embedded
  // database has a pool of one connection, which runs the transactions one after another.)
  const holder = server.database.kind === 'postgres' ? new pg.Client({ connectionString: server.database.url }) : undefined;
  await holder?.connect();
  await holder?.query('select pg_advisory_lock(hashtext($1))', [REGISTRATION_LOCK]);
  const results = Promise.allSettled(
    Array.from({ length: racers }, () => Vault.register({ server: server.url, handle: handle(), passphrase: 'x', ...testClient })),
  );
  if (holder) {
    const waitersSql = `select count(*) as n from pg_locks l join pg_database d on d.oid = l.database
                        where d.datname = current_database() and l.locktype = 'advisory' and not l.granted`;
    const waiting = async () => Number((await holder.query(waitersSql)).rows[0].n);
    for (let i = 0; i < 200 && (await waiting()) < racers; i++) await new Promise((r) => setTimeout(r, 50));
    t.equal(await waiting(), racers, 'every racer waits on the lock');
    await holder.query('select pg_advisory_unlock(hashtext($1))', [REGISTRATION_LOCK]);
    await holder.end();
  }
  const settled = await results;
  const accounts = await server.db.selectFrom('accounts').select('is_admin').execute();
  t.same(accounts, [{ is_admin: true }], 'one account, the administrator');
  t.equal(settled.filter((r) => r.status === 'fulfilled').length, 1, 'one registration succeeded');
  t.same(
    settled.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : [])),
    Array(racers - 1).fill('VAULT_ERR_INVITE_REQUIRED'),
    'the others needed an invite',
  );
});
