import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { LOCAL_FILES, type Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import type { Translate } from '../i18n/index.ts';
import { askTerminal } from '../prompt.ts';

/** tvault's own files in its folder: the known ones and any temporary file of an interrupted write. */
export async function localFiles(dir: string): Promise<string[]> {
  let present: string[];
  try {
    present = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return present.filter((f) => (LOCAL_FILES as readonly string[]).includes(f) || /^state\.json\.\d+\.tmp$/.test(f));
}

/**
 * Removes those files, and the folder if nothing else is in it. (Unlinked, not overwritten:
 * on journaling file systems and SSDs an overwrite gives no guarantee. What was in them
 * but the server and handle is encrypted anyway.)
 */
export async function removeLocalState(dir: string, files: string[]): Promise<void> {
  await Promise.all(files.map((f) => rm(path.join(dir, f), { force: true })));
  await rmdir(dir).catch(() => undefined); // left in place if it holds anything else
}

/** "Sí", "si" and "SI" are the same answer. */
const plain = (s: string) => s.trim().normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** No passphrase, no server, no key derivation: at a checkpoint it must take well under a second. */
export function wipeCommand(program: Command, ctx: () => Context, t: Translate): void {
  program
    .command('wipe')
    .description(t('help.wipe'))
    .option('--yes', t('help.wipe-yes'))
    .action(async (opts: { yes?: boolean }) => {
      const c = ctx();
      const files = await localFiles(c.dir);
      if (files.length === 0) return c.print(c.t('wipe.nothing', { dir: c.dir }));
      if (!opts.yes) {
        if (!process.stdin.isTTY) throw new UsageError(c.t('wipe.needsYes'));
        const answer = String(await askTerminal(c.t('wipe.confirm', { dir: c.dir, answer: c.t('wipe.answer') }), false));
        if (plain(answer) !== plain(c.t('wipe.answer'))) return c.print(c.t('wipe.aborted'));
      }
      await removeLocalState(c.dir, files);
      for (const f of files) c.print(c.t('wipe.removed', { file: c.file(f) }));
      c.print(c.t('wipe.done'));
    });
}
