import type { Command } from 'commander';
import type { Context } from '../context.ts';
import type { Translate } from '../i18n/index.ts';
import { SHORT_ID } from '../record-ref.ts';
import { line } from './audit.ts';
import { readTeam, resolveCase, resolveTeam } from './teams-names.ts';

// tvault case history <team> <case>: who wrote, read or was refused each testimony of a case,
// and the statements that let people in (docs/PROTOCOL.md "A case's audit history"). Printed
// only once every page passed its checks, as `tvault history` prints a record's.

export function caseHistoryCommand(program: Command, ctx: () => Context, t: Translate): void {
  const cases = program.commands.find((k) => k.name() === 'case');
  if (!cases) throw new Error('the case command is registered first');
  cases
    .command('history <team> <case>')
    .description(t('help.case-history'))
    .action(async (ref: string, caseRef: string) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const team = await resolveTeam(c, vault, ref);
        const info = await vault.teams.info(team);
        const contents = await readTeam(vault, team);
        contents.caseNames.set(team, c.t('team.general'));
        const caseId = resolveCase(c, info.cases.map((k) => k.caseId), contents.caseNames, caseRef);
        const events = [];
        let size = 0;
        for await (const page of vault.teams.caseHistoryPages(team, caseId, { pageSize: 1000 })) {
          events.push(...page.events);
          size = page.checkpointSize;
        }
        if (c.options.json) return c.printJson(events);
        const titles = new Map(contents.records.map((r) => [r.id, r.fields.title]));
        for (const e of events) {
          const about = e.about === 'record' ? (titles.get(e.recordId!) ?? e.recordId!.slice(0, SHORT_ID)) : c.t(`caseHistory.${e.about}`);
          c.print(`[${about}] ${line(c, e)}`);
        }
        c.print(c.t('caseHistory.verified', { count: events.length, case: contents.caseNames.get(caseId) ?? caseId.slice(0, SHORT_ID), size }));
      });
    });
}
