import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { RecordFields, VaultRecord } from '@testimony-vault/client/node';
import type { Context } from '../context.ts';
import type { Translate } from '../i18n/index.ts';
import { ownRecords, resolveRecord, SHORT_ID } from '../record-ref.ts';
import { askTerminal } from '../prompt.ts';
import { UsageError } from '../errors.ts';
import { redactionLines } from '../redaction-text.ts';
import { attachAll, checkFiles } from './files.ts';

/**
 * Opens $EDITOR on the text, in a file on /dev/shm (memory, not disk) readable by the
 * owner only, removed right after. Refuses where there is no such folder.
 */
async function editInMemory(ctx: Context, text: string): Promise<string> {
  const editor = process.env.VISUAL || process.env.EDITOR;
  const shm = '/dev/shm';
  if (!editor || !existsSync(shm)) throw new UsageError(ctx.t('edit.noEditor'));
  const dir = await mkdtemp(path.join(shm, 'tvault-'));
  const file = path.join(dir, 'narrative.txt');
  try {
    await writeFile(file, text, { mode: 0o600 });
    const result = spawnSync(editor, [file], { stdio: 'inherit', shell: true });
    if (result.status !== 0) throw new UsageError(ctx.t('error.editorFailed', { editor, status: String(result.status) }));
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of process.stdin) parts.push(p as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

export function describe(ctx: Context, r: VaultRecord): string {
  const f = r.fields;
  return [
    `# ${f.title}`,
    `${r.id} · ${ctx.t('record.version')} ${r.version}/${r.latestVersion} · ${ctx.t('record.by')} ${r.author.handle} · ${ctx.dates.time(r.writtenAt)}`,
    ...(f.place ? [`${f.place}${f.occurredAt ? ` · ${f.occurredAt}` : ''}`] : []),
    '',
    f.narrative,
    ...r.attachments.map((a) => `  📎 ${a.name} (${a.size} bytes, SHA-256 ${a.sha256})`),
    ...redactionLines(ctx, r),
  ].join('\n');
}

export interface NewFieldOptions {
  title: string;
  narrativeFile?: string;
  place?: string;
  occurredAt?: string;
  language?: string;
  tag?: string[];
}

/** The options of a new testimony's fields (`tvault add`, `tvault case write`). */
export function fieldOptions(command: Command, t: Translate): Command {
  return command
    .requiredOption('--title <title>', t('help.title'))
    .option('--narrative-file <file>', t('help.read-the-narrative-from-a-file-for-stdin'))
    .option('--place <place>')
    .option('--occurred-at <date>')
    .option('--language <code>')
    .option('--tag <tag...>', t('help.tags'));
}

/** A new testimony's fields from those options; the narrative from a file, stdin (-) or $EDITOR. */
export async function newFields(c: Context, opts: NewFieldOptions): Promise<RecordFields> {
  const narrative =
    opts.narrativeFile === undefined ? await editInMemory(c, '') : opts.narrativeFile === '-' ? await readStdin() : await readFile(opts.narrativeFile, 'utf8');
  const fields: RecordFields = { title: opts.title, narrative };
  if (opts.place) fields.place = opts.place;
  if (opts.occurredAt) fields.occurredAt = opts.occurredAt;
  if (opts.language) fields.language = opts.language;
  if (opts.tag) fields.tags = opts.tag;
  return fields;
}

export function recordCommands(program: Command, ctx: () => Context, t: Translate): void {
  fieldOptions(program.command('add').description(t('help.a-new-testimony-narrative-from-narrative')), t)
    .option('--attach <file...>', t('help.evidence-files-to-attach'))
    .action(async (opts: NewFieldOptions & { attach?: string[] }) => {
      const c = ctx();
      await checkFiles(c, opts.attach ?? []);
      const fields = await newFields(c, opts);
      await c.withVault(async (vault) => {
        const created = await vault.createRecord(fields);
        const { id } = created;
        if (!opts.attach?.length) {
          if (c.options.json) return c.printJson({ id, version: created.version });
          return c.print(c.t('record.created', { id, version: created.version }));
        }
        // Each attachment writes a version: the one to report is the last.
        if (!c.options.json) c.print(c.t('record.createdAttaching', { id }));
        const files = await attachAll(c, vault, id, opts.attach);
        const { version } = await vault.getRecord(id);
        if (c.options.json) c.printJson({ id, version, files });
        else c.print(c.t('record.createdWithFiles', { id, version, files: files.length }));
      });
    });

  program
    .command('list')
    .description(t('help.your-testimonies-newest-change-first'))
    .action(async () => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const records = await ownRecords(vault);
        if (c.options.json) return c.printJson(records.map((r) => ({ id: r.id, title: r.fields.title, tags: r.fields.tags ?? [], version: r.version, owner: r.owner, writtenAt: r.writtenAt, files: r.attachments.length })));
        if (records.length === 0) return c.print(c.t('record.none'));
        for (const r of records) {
          const tags = r.fields.tags?.length ? `  [${r.fields.tags.join(', ')}]` : '';
          c.print(`${r.id.slice(0, SHORT_ID)}  ${r.fields.title}${tags}  ·  v${r.version}  ${c.dates.day(r.writtenAt)}  ·  ${c.t('list.files', { count: r.attachments.length })}`);
        }
      });
    });

  program
    .command('show <record>')
    .description(t('help.one-testimony-decrypted-and-verified'))
    .option('--version <n>', t('help.an-earlier-version'), (v) => Number(v))
    .action(async (ref: string, opts: { version?: number }) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const id = await resolveRecord(c, vault, ref);
        const r = await vault.getRecord(id, opts.version === undefined ? {} : { version: opts.version });
        if (c.options.json) c.printJson(r);
        else c.print(describe(c, r));
      });
    });

  program
    .command('edit <record>')
    .description(t('help.write-a-new-version-fields-from-flags-th'))
    .option('--title <title>')
    .option('--place <place>')
    .option('--occurred-at <date>')
    .option('--narrative-file <file>', t('help.a-file-or-for-stdin'))
    .option('--editor', t('help.edit-the-narrative-in-editor'))
    .action(async (ref: string, opts: { title?: string; place?: string; occurredAt?: string; narrativeFile?: string; editor?: boolean }) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const id = await resolveRecord(c, vault, ref);
        const current = await vault.getRecord(id);
        const changes: Partial<RecordFields> = {};
        if (opts.title !== undefined) changes.title = opts.title;
        if (opts.place !== undefined) changes.place = opts.place;
        if (opts.occurredAt !== undefined) changes.occurredAt = opts.occurredAt;
        if (opts.narrativeFile !== undefined) changes.narrative = opts.narrativeFile === '-' ? await readStdin() : await readFile(opts.narrativeFile, 'utf8');
        else if (opts.editor) changes.narrative = await editInMemory(c, current.fields.narrative);
        const changed = Object.entries(changes).some(([k, v]) => (current.fields as Record<string, unknown>)[k] !== v);
        if (!changed) return c.print(c.t('edit.unchanged'));
        const { version } = await vault.updateRecord(id, changes);
        c.print(c.t('record.updated', { id, version }));
      });
    });

  program
    .command('versions <record>')
    .description(t('help.every-version-of-a-testimony-oldest-firs'))
    .action(async (ref: string) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const id = await resolveRecord(c, vault, ref);
        const versions = await vault.recordVersions(id);
        if (c.options.json) return c.printJson(versions.map((v) => ({ version: v.version, keyVersion: v.keyVersion, author: v.author.handle, writtenAt: v.writtenAt, title: v.fields.title })));
        for (const v of versions) c.print(`v${v.version}  ${c.dates.time(v.writtenAt)}  ${v.author.handle}  ${v.fields.title}`);
      });
    });

  program
    .command('delete <record>')
    .description(t('help.delete-a-testimony-and-its-files-asks-to'))
    .option('--yes <prefix>', t('help.confirm-without-asking-the-first-8-chara'))
    .action(async (ref: string, opts: { yes?: string }) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const id = await resolveRecord(c, vault, ref);
        const r = await vault.getRecord(id);
        let answer: string;
        if (opts.yes !== undefined) answer = opts.yes;
        else {
          if (!process.stdin.isTTY) throw new UsageError(c.t('record.deleteAborted'));
          answer = String(await askTerminal(c.t('record.deleteConfirm', { title: r.fields.title, id }), false));
        }
        if (answer.trim() !== id.slice(0, 8)) return c.print(c.t('record.deleteAborted'));
        await vault.deleteRecord(id);
        c.print(c.t('record.deleted', { id }));
      });
    });
}
