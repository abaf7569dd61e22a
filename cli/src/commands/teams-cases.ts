import type { Command } from 'commander';
import { createNamedCase, renameCase, type TeamRecord } from '@testimony-vault/client/node';
import type { Context } from '../context.ts';
import type { Translate } from '../i18n/index.ts';
import { SHORT_ID } from '../record-ref.ts';
import { untilOption } from '../dates.ts';
import { UsageError } from '../errors.ts';
import { fieldOptions, newFields, type NewFieldOptions } from './records.ts';
import { asCoordinator, refuseUnverifiedAdder, trustPerson, type TrustOptions } from './teams-access.ts';
import { nameArg, readTeam, resolveCase, resolveTeam, resolveTeamRecord } from './teams-names.ts';

function describeTeamRecord(c: Context, r: TeamRecord, caseName: string): string {
  const f = r.fields;
  return [
    `# ${f.title}`,
    `${r.id} · ${c.t('record.version')} ${r.version}/${r.latestVersion} · ${c.t('record.by')} ${r.author.handle} · ${c.dates.time(r.writtenAt)}`,
    c.t('case.in', { case: caseName }),
    ...(f.place ? [`${f.place}${f.occurredAt ? ` · ${f.occurredAt}` : ''}`] : []),
    '',
    f.narrative,
  ].join('\n');
}

export function caseCommands(program: Command, ctx: () => Context, t: Translate): void {
  const cases = program.command('case').description(t('help.case'));
  /** The team's id, the ids of its cases and their names, from what this account can read. */
  const openTeam = async (c: Context, vault: Parameters<Parameters<Context['withVault']>[0]>[0], ref: string) => {
    const id = await resolveTeam(c, vault, ref);
    const info = await vault.teams.info(id);
    const contents = await readTeam(vault, id);
    contents.caseNames.set(id, c.t('team.general'));
    const caseOf = (caseRef: string) => resolveCase(c, info.cases.map((k) => k.caseId), contents.caseNames, caseRef);
    const nameOf = (caseId: string) => contents.caseNames.get(caseId) ?? caseId.slice(0, SHORT_ID);
    return { id, info, contents, caseOf, nameOf };
  };

  cases
    .command('create <team> <name>')
    .description(t('help.case-create'))
    .option('--unverified', t('help.case-write-unverified'))
    .action(async (ref: string, typed: string, opts: { unverified?: boolean }) => {
      const c = ctx();
      const name = nameArg(c, typed);
      await c.withVault(async (vault) => {
        const id = await resolveTeam(c, vault, ref);
        const info = await asCoordinator(c, vault, id);
        // The case's name is a team record: writing it asks what writing a testimony asks.
        refuseUnverifiedAdder(c, info, ref, opts.unverified);
        const caseId = await createNamedCase(vault.teams, id, name, { requireVerified: !opts.unverified });
        if (c.options.json) return c.printJson({ team: id, caseId, name });
        c.print(c.t('case.created', { name, id: caseId }));
      });
    });

  cases
    .command('rename <team> <case> <name>')
    .description(t('help.case-rename'))
    .option('--unverified', t('help.case-write-unverified'))
    .action(async (ref: string, caseRef: string, typed: string, opts: { unverified?: boolean }) => {
      const c = ctx();
      const name = nameArg(c, typed);
      await c.withVault(async (vault) => {
        const team = await openTeam(c, vault, ref);
        if (team.info.myRole !== 'coordinator') throw new UsageError(c.t('team.notCoordinator', { team: ref }));
        refuseUnverifiedAdder(c, team.info, ref, opts.unverified);
        const caseId = team.caseOf(caseRef);
        if (caseId === team.id) throw new UsageError(c.t('case.generalNotRenamed'));
        await renameCase(vault.teams, team.id, caseId, name, { requireVerified: !opts.unverified });
        c.print(c.t('case.renamed', { before: team.nameOf(caseId), name }));
      });
    });

  cases
    .command('share <team> <case> <handle>')
    .description(t('help.case-share'))
    .option('--until <date>', t('help.access-ends-at-this-date-iso-8601'))
    .option('--confirm <number>', t('help.the-safety-number-as-read-out-for-script'))
    .option('--unverified', t('help.case-unverified'))
    .action(async (ref: string, caseRef: string, handle: string, opts: TrustOptions & { until?: string }) => {
      const c = ctx();
      const expiresAt = untilOption(c, opts.until);
      await c.withVault(async (vault) => {
        const team = await openTeam(c, vault, ref);
        if (team.info.myRole !== 'coordinator') throw new UsageError(c.t('team.notCoordinator', { team: ref }));
        const caseId = team.caseOf(caseRef);
        if (caseId === team.id) throw new UsageError(c.t('case.generalNotShared'));
        await trustPerson(c, vault, handle, opts, 'case.unverified');
        await vault.teams.shareCase(team.id, caseId, handle, { ...(expiresAt ? { expiresAt } : {}), requireVerified: !opts.unverified });
        c.print(c.t('case.shared', { handle, case: team.nameOf(caseId), until: expiresAt ? c.t('share.until', { date: c.dates.time(expiresAt) }) : '' }));
      });
    });

  cases
    .command('revoke <team> <case> <handle>')
    .description(t('help.case-revoke'))
    .action(async (ref: string, caseRef: string, handle: string) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const team = await openTeam(c, vault, ref);
        if (team.info.myRole !== 'coordinator') throw new UsageError(c.t('team.notCoordinator', { team: ref }));
        const caseId = team.caseOf(caseRef);
        const h = handle.trim().toLowerCase();
        if (!team.info.cases.find((k) => k.caseId === caseId)?.reviewers.some((r) => r.handle === h)) {
          throw new UsageError(c.t('case.notReviewer', { handle, case: team.nameOf(caseId) }));
        }
        await vault.teams.revokeCase(team.id, caseId, h);
        c.print(c.t('case.revoked', { handle: h, case: team.nameOf(caseId) }));
      });
    });

  const write = fieldOptions(cases.command('write <team> <case>').description(t('help.case-write')), t);
  write.option('--unverified', t('help.case-write-unverified')).action(async (ref: string, caseRef: string, opts: NewFieldOptions & { unverified?: boolean }) => {
    const c = ctx();
    const fields = await newFields(c, opts);
    await c.withVault(async (vault) => {
      const team = await openTeam(c, vault, ref);
      if (team.info.myRole === 'reviewer' || team.info.myRole === null) throw new UsageError(c.t('case.readOnly', { team: ref }));
      refuseUnverifiedAdder(c, team.info, ref, opts.unverified);
      const caseId = team.caseOf(caseRef);
      const { id, version } = await vault.teams.writeRecord(team.id, caseId, fields, { requireVerified: !opts.unverified });
      if (c.options.json) return c.printJson({ id, version, caseId });
      c.print(c.t('case.written', { id, case: team.nameOf(caseId) }));
    });
  });

  cases
    .command('list <team> [case]')
    .description(t('help.case-list'))
    .action(async (ref: string, caseRef: string | undefined) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const team = await openTeam(c, vault, ref);
        const caseId = caseRef === undefined ? undefined : team.caseOf(caseRef);
        const records = team.contents.records.filter((r) => caseId === undefined || r.caseId === caseId);
        if (c.options.json) return c.printJson(records.map((r) => ({ id: r.id, caseId: r.caseId, title: r.fields.title, version: r.version, author: r.author.handle, writtenAt: r.writtenAt })));
        if (records.length === 0) return c.print(c.t('case.none'));
        for (const r of records) c.print(`${r.id.slice(0, SHORT_ID)}  ${r.fields.title}  [${team.nameOf(r.caseId)}]  ${r.author.handle}  v${r.version}  ${c.dates.day(r.writtenAt)}`);
      });
    });

  cases
    .command('read <team> <record>')
    .description(t('help.case-read'))
    .action(async (ref: string, recordRef: string) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const id = await resolveTeam(c, vault, ref);
        // A full id is read at once: a removed member is refused by the server, not by a listing.
        const records = /^[0-9a-f-]{36}$/i.test(recordRef) ? [] : (await readTeam(vault, id)).records;
        const r = await vault.teams.readRecord(id, resolveTeamRecord(c, records, recordRef));
        if (c.options.json) return c.printJson(r);
        const caseName = r.caseId === id ? c.t('team.general') : ((await readTeam(vault, id, r.caseId)).caseNames.get(r.caseId) ?? r.caseId.slice(0, SHORT_ID));
        c.print(describeTeamRecord(c, r, caseName));
      });
    });
}
