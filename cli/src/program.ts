import { Command } from 'commander';
import { Context, type GlobalOptions } from './context.ts';
import { explain } from './errors.ts';
import { pickLang, translator } from './i18n/index.ts';
import { safeText } from './safe-text.ts';
import { accountCommands } from './commands/account.ts';
import { recordCommands } from './commands/records.ts';
import { fileCommands } from './commands/files.ts';
import { sharingCommands } from './commands/sharing.ts';
import { auditCommands } from './commands/audit.ts';
import { webCommands } from './commands/web.ts';
import { wipeCommand } from './commands/wipe.ts';
import { agentCommands } from './commands/agent.ts';
import { teamCommands } from './commands/teams.ts';
import { caseHistoryCommand } from './commands/teams-history.ts';
import { translateCommander } from './commander-lang.ts';

/** Parses the arguments and runs the command (main.ts loads this module for anything but --version). */
export async function runProgram(): Promise<void> {
  // Help texts are translated too, so the language is read before the arguments are parsed.
  const langArg = process.argv.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  const langFlag = langArg < 0 ? undefined : process.argv[langArg]!.includes('=') ? process.argv[langArg]!.split('=')[1] : process.argv[langArg + 1];
  const t = translator(pickLang(langFlag));

  const program = new Command('tvault')
    .description(t('help.the-testimony-vault-from-a-terminal-ever'))
    .option('--server <url>', t('help.vault-server-remembered-by-register-and'))
    .option('--lang <lang>', t('help.es-or-en-default-from-lc-all-lang'))
    .option('--json', t('help.machine-readable-output-for-list-and-sho'))
    .option('--config-dir <dir>', t('help.where-tvault-keeps-its-settings-default'))
    .option('--handle <handle>', t('help.handle-for-this-run'))
    .option('--passphrase-fd <n>', t('help.read-the-passphrase-from-this-file-descr'));
  translateCommander(program, t);

  let context: Context | undefined;
  const ctx = () => (context ??= new Context(program.opts<GlobalOptions>()));

  accountCommands(program, ctx, t);
  recordCommands(program, ctx, t);
  fileCommands(program, ctx, t);
  sharingCommands(program, ctx, t);
  auditCommands(program, ctx, t);
  webCommands(program, ctx, t);
  wipeCommand(program, ctx, t);
  agentCommands(program, ctx, t);
  teamCommands(program, ctx, t);
  caseHistoryCommand(program, ctx, t);

  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    const c = ctx();
    const { line, code } = explain(err, c.t, c.options.server ?? (await c.settings().catch(() => ({ server: undefined }))).server);
    process.stderr.write(`tvault: ${safeText(line)}\n`);
    process.exitCode = code;
  }
}
