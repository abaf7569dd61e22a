import type { Command } from 'commander';
import { createNamedTeam, namedTeams, renameTeam, type TeamHistoryEntry, type Vault } from '@testimony-vault/client/node';
import type { Context } from '../context.ts';
import type { Translate } from '../i18n/index.ts';
import { SHORT_ID } from '../record-ref.ts';
import { UsageError } from '../errors.ts';
import { asCoordinator, memberOf, parseRole, refuseUnverifiedAdder, trustPerson, type TrustOptions } from './teams-access.ts';
import { nameArg, readTeam, resolveTeam } from './teams-names.ts';
import { caseCommands } from './teams-cases.ts';

/** ✓ when this account compared the person's safety number and it is the chain's; ? otherwise. */
async function verifiedMarks(vault: Vault): Promise<(handle: string, fingerprint: string) => string> {
  const contacts = await vault.listContacts();
  return (handle, fingerprint) => (handle === vault.handle || contacts.some((k) => k.handle === handle && k.verified && k.fingerprint === fingerprint) ? '✓' : '?');
}

/** A role as the server lists it, in the user's words when it is one tvault knows. */
function roleName(c: Context, role: string): string {
  return role === 'coordinator' || role === 'member' || role === 'reviewer' ? c.t(`team.role.${role}`) : role;
}

/** One statement of the chain in the user's words. */
function historyLine(c: Context, h: TeamHistoryEntry, caseNames: Map<string, string>): string {
  const what = c.t(`team.action.${h.action}`, {
    subject: h.subject ?? '',
    role: h.role ? c.t(`team.role.${h.role}`) : '',
    case: h.caseId ? (caseNames.get(h.caseId) ?? h.caseId.slice(0, SHORT_ID)) : '',
    until: h.expiresAt ? c.t('share.until', { date: c.dates.time(h.expiresAt) }) : '',
  });
  return `#${h.seq}  ${c.dates.time(h.at)}  ${h.by}: ${what}`;
}

export function teamCommands(program: Command, ctx: () => Context, t: Translate): void {
  const team = program.command('team').description(t('help.team'));

  team
    .command('create <name>')
    .description(t('help.team-create'))
    .action(async (typed: string) => {
      const c = ctx();
      const name = nameArg(c, typed);
      await c.withVault(async (vault) => {
        const id = await createNamedTeam(vault.teams, name);
        if (c.options.json) return c.printJson({ id, name });
        c.print(c.t('team.created', { name, id }));
      });
    });

  team
    .command('rename <team> <name>')
    .description(t('help.team-rename'))
    .option('--unverified', t('help.case-write-unverified'))
    .action(async (ref: string, typed: string, opts: { unverified?: boolean }) => {
      const c = ctx();
      const name = nameArg(c, typed);
      await c.withVault(async (vault) => {
        const id = await resolveTeam(c, vault, ref);
        // The name is a team record: writing it asks what writing a testimony asks.
        refuseUnverifiedAdder(c, await asCoordinator(c, vault, id), ref, opts.unverified);
        await renameTeam(vault.teams, id, name, { requireVerified: !opts.unverified });
        c.print(c.t('team.renamed', { name }));
      });
    });

  team
    .command('add <team> <handle>')
    .description(t('help.team-add'))
    .option('--role <role>', t('help.team-role'), 'member')
    .option('--confirm <number>', t('help.the-safety-number-as-read-out-for-script'))
    .option('--unverified', t('help.team-unverified'))
    .action(async (ref: string, handle: string, opts: TrustOptions & { role: string }) => {
      const c = ctx();
      const role = parseRole(c, opts.role);
      await c.withVault(async (vault) => {
        const id = await resolveTeam(c, vault, ref);
        const info = await asCoordinator(c, vault, id);
        if (info.members.some((m) => m.handle === handle.trim().toLowerCase())) throw new UsageError(c.t('team.alreadyMember', { handle, team: ref }));
        await trustPerson(c, vault, handle, opts, 'team.unverified');
        await vault.teams.addMember(id, handle, { role, requireVerified: !opts.unverified });
        c.print(c.t('team.added', { handle, role: c.t(`team.role.${role}`), team: ref }));
      });
    });

  team
    .command('remove <team> <handle>')
    .description(t('help.team-remove'))
    .action(async (ref: string, handle: string) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const id = await resolveTeam(c, vault, ref);
        const member = memberOf(c, await asCoordinator(c, vault, id), handle);
        await vault.teams.removeMember(id, member);
        c.print(c.t('team.removed', { handle: member, team: ref }));
      });
    });

  team
    .command('role <team> <handle> <role>')
    .description(t('help.team-role-change'))
    .action(async (ref: string, handle: string, roleText: string) => {
      const c = ctx();
      const role = parseRole(c, roleText);
      await c.withVault(async (vault) => {
        const id = await resolveTeam(c, vault, ref);
        const member = memberOf(c, await asCoordinator(c, vault, id), handle);
        await vault.teams.setRole(id, member, role);
        c.print(c.t('team.roleSet', { handle: member, role: c.t(`team.role.${role}`), team: ref }));
      });
    });

  team
    .command('show <team>')
    .description(t('help.team-show'))
    .action(async (ref: string) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const id = await resolveTeam(c, vault, ref);
        const info = await vault.teams.info(id);
        const { teamName, caseNames } = await readTeam(vault, id);
        if (c.options.json) return c.printJson({ ...info, name: teamName, caseNames: Object.fromEntries(caseNames) });
        const mark = await verifiedMarks(vault);
        const history = await vault.teams.history(id);
        c.print(`${teamName ?? c.t('team.unnamed')}  (${id})`);
        c.print(c.t('team.verifiedChain', { count: info.headSeq + 1, role: info.myRole ? c.t(`team.role.${info.myRole}`) : '-' }));
        c.print(c.t('team.members'));
        for (const m of info.members) {
          const since = history[m.since]?.at;
          c.print(`  ${m.handle}  ${c.t(`team.role.${m.role}`)}  ${mark(m.handle, m.fingerprint)}${since ? `  ${c.t('team.since', { date: c.dates.day(since) })}` : ''}`);
        }
        c.print(c.t('team.cases'));
        for (const k of info.cases) {
          const name = k.general ? c.t('team.general') : (caseNames.get(k.caseId) ?? c.t('team.unnamed'));
          const reviewers = k.reviewers.map((r) => `${r.handle} ${mark(r.handle, r.fingerprint)}${r.expiresAt ? c.t('share.until', { date: c.dates.time(r.expiresAt) }) : ''}`);
          c.print(`  ${k.caseId.slice(0, SHORT_ID)}  ${name}${reviewers.length ? `  ${c.t('team.reviewers', { list: reviewers.join(', ') })}` : ''}`);
        }
        c.print(c.t('marks.legend'));
      });
    });

  team
    .command('history <team>')
    .description(t('help.team-history'))
    .action(async (ref: string) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const id = await resolveTeam(c, vault, ref);
        const history = await vault.teams.history(id);
        if (c.options.json) return c.printJson(history);
        const { caseNames } = await readTeam(vault, id);
        caseNames.set(id, c.t('team.general'));
        c.print(c.t('team.historyVerified', { count: history.length }));
        for (const h of history) c.print(historyLine(c, h, caseNames));
      });
    });

  team
    .command('list')
    .description(t('help.team-list'))
    .action(async () => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const teams = await namedTeams(vault.teams);
        if (c.options.json) return c.printJson(teams);
        if (teams.length === 0) return c.print(c.t('team.none'));
        for (const k of teams) c.print(`${k.id.slice(0, SHORT_ID)}  ${k.name ?? c.t('team.unnamed')}  ${roleName(c, k.role)}`);
      });
    });

  caseCommands(program, ctx, t);
}
