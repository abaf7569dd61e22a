import type { Command } from 'commander';
import { Vault } from '@testimony-vault/client/node';
import type { Context } from '../context.ts';
import type { Translate } from '../i18n/index.ts';
import { askNewPassphrase } from '../new-passphrase.ts';

export function accountCommands(program: Command, ctx: () => Context, t: Translate): void {
  program
    .command('register <handle>')
    .description(t('help.create-an-account-the-first-one-on-a-ser'))
    .option('--invite <code>', t('help.invite-code-from-an-administrator'))
    .action(async (handle: string, opts: { invite?: string }) => {
      const c = ctx();
      const server = await c.server();
      const passphrase = await askNewPassphrase(c, handle, server);
      const state = await c.stateStore();
      const { vault, recoveryKey } = await Vault.register({ server, handle, passphrase, state, device: 'tvault', ...(opts.invite ? { inviteCode: opts.invite } : {}), ...c.kdf() });
      await c.unlockState(state, vault);
      await c.saveSettings({ server, handle: vault.handle, kdfVersion: 2 });
      c.print(c.t('register.done', { handle: vault.handle, server }));
      c.print(c.t('register.recovery'));
      c.print(recoveryKey);
      await vault.logout();
    });

  program
    .command('login <handle>')
    .description(t('help.remember-the-server-and-handle-after-che'))
    .action(async (handle: string) => {
      const c = ctx();
      const server = await c.server();
      const h = handle.trim().toLowerCase();
      const before = await c.settings();
      // Logging in again keeps what this device knows of the account's KDF version.
      await c.saveSettings({ server, handle: h, ...(before.handle === h && before.kdfVersion ? { kdfVersion: before.kdfVersion } : {}) });
      await c.withVault(async (vault) => c.print(c.t('login.done', { handle: vault.handle, server })));
    });

  program
    .command('logout')
    .description(t('help.forget-the-handle-on-this-device-pins-an'))
    .action(async () => {
      const c = ctx();
      const { server } = await c.settings();
      await c.saveSettings(server ? { server } : {});
      c.print(c.t('logout.done'));
    });

  program
    .command('whoami')
    .description(t('help.handle-server-and-your-own-safety-number'))
    .action(async () => {
      const c = ctx();
      await c.withVault(async (vault) => {
        if (c.options.json) return c.printJson({ handle: vault.handle, server: vault.server, safetyNumber: vault.fingerprint() });
        c.print(`${c.t('whoami.handle')}: ${vault.handle}`);
        c.print(`${c.t('whoami.server')}: ${vault.server}`);
        c.print(`${c.t('whoami.safety')}: ${vault.fingerprint()}`);
      });
    });

  program
    .command('passwd')
    .description(t('help.change-the-passphrase-asks-for-the-curre'))
    .action(async () => {
      const c = ctx();
      c.useAgent = false; // the current passphrase is needed
      await c.withVault(async (vault, current) => {
        const next = await askNewPassphrase(c, vault.handle, vault.server);
        await vault.changePassphrase(current, next);
        await c.rememberKdfVersion(vault);
        c.print(c.t('passwd.done'));
      });
    });

  program
    .command('recover <handle>')
    .description(t('help.set-a-new-passphrase-with-the-24-recover'))
    .action(async (handle: string) => {
      const c = ctx();
      const server = await c.server();
      const recoveryKey = await c.passphrase('recover.words');
      const newPassphrase = await askNewPassphrase(c, handle, server);
      const state = await c.stateStore();
      const vault = await Vault.recover({ server, handle, recoveryKey, newPassphrase, state, device: 'tvault', ...c.kdf() });
      await c.unlockState(state, vault);
      await c.saveSettings({ server, handle: vault.handle });
      await c.rememberKdfVersion(vault);
      c.print(c.t('recover.done', { handle: vault.handle }));
      await vault.logout();
    });

  program
    .command('sessions')
    .description(t('help.where-this-account-is-logged-in-end-id-e'))
    .option('--end <id>', t('help.end-this-session'))
    .action(async (opts: { end?: string }) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        if (opts.end) {
          await vault.endSession(opts.end);
          return c.print(c.t('sessions.ended', { id: opts.end }));
        }
        const sessions = await vault.sessions();
        if (c.options.json) return c.printJson(sessions);
        for (const s of sessions) {
          const name = s.deviceUnreadable ? c.t('sessions.unreadable') : (s.device ?? c.t('sessions.unnamed'));
          c.print(`${s.id}  ${name}  ${c.dates.time(s.lastUsedAt)}  ${s.current ? c.t('sessions.current') : ''}`);
        }
      });
    });

  program
    .command('invite')
    .description(t('help.administrators-a-single-use-invite-code'))
    .option('--days <n>', t('help.valid-for-this-many-days'), (v) => Number(v))
    .action(async (opts: { days?: number }) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const invite = await vault.createInvite(opts.days ? { expiresInSeconds: Math.round(opts.days * 86400) } : {});
        c.print(c.t('invite.code', { date: c.dates.time(invite.expiresAt) }));
        c.print(invite.code);
      });
    });
}
