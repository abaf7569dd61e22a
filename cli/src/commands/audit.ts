import { readFile, stat, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { cryptoReady, type AuditExport, type AuditHistoryEvent } from '@testimony-vault/client/node';
import { CheckFailed, checkBundle, checkHistory } from '../bundle-check.ts';
import type { Context } from '../context.ts';
import { en, type MessageKey } from '../i18n/en.ts';
import type { Translate } from '../i18n/index.ts';
import { resolveRecord } from '../record-ref.ts';
import { EXIT } from '../errors.ts';

/** An event in words: an action or outcome of a newer server, not in the catalogue, is shown as it is. */
export function line(c: Context, e: AuditHistoryEvent): string {
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
        // Printed once every page passed: a page that fails leaves nothing that reads as the history.
        const events: AuditHistoryEvent[] = [];
        let size = 0;
        for await (const page of vault.recordHistoryPages(recordId, { pageSize: 1000 })) {
          events.push(...page.events);
          size = page.checkpointSize;
        }
        if (c.options.json) c.printJson(events);
        else {
          for (const e of events) c.print(line(c, e));
          c.print(c.t('history.verified', { size }));
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
      try {
        // A folder is a whole export (tvault export, or an unzipped evidence bundle).
        if ((await stat(file).catch(() => null))?.isDirectory()) return await verifyFolder(c, file, opts.key);
        const doc = await readFile(file, 'utf8').then((text) => JSON.parse(text) as unknown).catch((err: Error) => {
          throw new CheckFailed('verify.notJson', { file, detail: err.message });
        });
        const events = checkHistory(doc, file, opts.key);
        if (c.options.json) return c.printJson(events);
        printVerified(c, events, doc as AuditExport, opts.key);
      } catch (err) {
        if (!(err instanceof CheckFailed)) throw err;
        c.warn(c.t(err.key, err.values));
        process.exitCode = EXIT.integrity;
      }
    });
}

function printVerified(c: Context, events: AuditHistoryEvent[], doc: AuditExport, key: string | undefined): void {
  for (const e of events) c.print(line(c, e));
  c.print(c.t('verify.ok', { count: events.length, origin: String(doc.origin) }));
  // Without --key, the signature was checked with the key the file itself carries.
  if (!key) c.print(c.t('verify.keyFromFile', { key: String(doc.verifierKey) }));
}

async function verifyFolder(c: Context, dir: string, key: string | undefined): Promise<void> {
  const checked = await checkBundle(dir, key);
  if (c.options.json) return c.printJson({ recordId: checked.recordId, files: checked.files, history: checked.history?.events ?? null });
  c.print(c.t('verify.files', { count: checked.files }));
  if (checked.history) printVerified(c, checked.history.events, checked.history.doc, key);
  else c.print(c.t('verify.noHistory'));
}
