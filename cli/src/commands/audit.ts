import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { cryptoReady, verifyExport, type AuditHistoryEvent } from '@testimony-vault/client/node';
import type { Context } from '../context.ts';
import { en, type MessageKey } from '../i18n/en.ts';
import type { Translate } from '../i18n/index.ts';
import { resolveRecord } from '../record-ref.ts';

/** An event in words: an action or outcome of a newer server, not in the catalogue, is shown as it is. */
function line(c: Context, e: AuditHistoryEvent): string {
  const subject = e.subject ?? '?';
  const action = `audit.${e.action}` in en ? c.t(`audit.${e.action}` as MessageKey, { subject }) : `${e.action}${e.subject ? ` → ${e.subject}` : ''}`;
  const outcome = `audit.outcome.${e.outcome}` in en ? c.t(`audit.outcome.${e.outcome}` as MessageKey) : e.outcome;
  return `${c.dates.time(e.at)}  ${e.actor ?? '-'} ${action}${e.fileId ? ` (${e.fileId})` : ''}${outcome ? `: ${outcome}` : ''}`;
}

export function auditCommands(program: Command, ctx: () => Context, t: Translate): void {
  program
    .command('history <record>')
    .description(t('help.who-did-what-to-a-testimony-verified-aga'))
    .option('--export <file>', t('help.also-write-a-self-contained-offline-veri'))
    .action(async (ref: string, opts: { export?: string }) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const recordId = await resolveRecord(c, vault, ref);
        const events = await vault.recordHistory(recordId);
        const checkpoint = await vault.auditCheckpoint();
        if (c.options.json) c.printJson(events);
        else {
          for (const e of events) c.print(line(c, e));
          c.print(c.t('history.verified', { size: checkpoint.size }));
        }
        if (opts.export) {
          await writeFile(opts.export, `${JSON.stringify(await vault.exportHistory(recordId), null, 2)}\n`, { mode: 0o600 });
          c.print(c.t('history.exported', { file: opts.export }));
        }
      });
    });

  program
    .command('verify-export <file>')
    .description(t('help.check-a-history-export-with-no-server'))
    .option('--key <verifierKey>', t('help.the-log-key-obtained-independently'))
    .action(async (file: string, opts: { key?: string }) => {
      const c = ctx();
      await cryptoReady();
      const doc = JSON.parse(await readFile(file, 'utf8')) as { origin?: string; verifierKey?: string };
      const events = verifyExport(doc, opts.key ? { verifierKey: opts.key } : {});
      if (c.options.json) return c.printJson(events);
      for (const e of events) c.print(line(c, e));
      c.print(c.t('verify.ok', { count: events.length, origin: String(doc.origin) }));
      // Without --key, the signature was checked with the key the file itself carries.
      if (!opts.key) c.print(c.t('verify.keyFromFile', { key: String(doc.verifierKey) }));
    });
}
