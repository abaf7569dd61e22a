import { Command } from 'commander';
import { Context, type GlobalOptions } from './context.ts';
import { explain } from './errors.ts';
import { accountCommands } from './commands/account.ts';
import { recordCommands } from './commands/records.ts';
import { fileCommands } from './commands/files.ts';
import { sharingCommands } from './commands/sharing.ts';
import { auditCommands } from './commands/audit.ts';

const program = new Command('tvault')
  .description('The testimony vault from a terminal. Everything is encrypted on this device.')
  .option('--server <url>', 'vault server (remembered by register and login)')
  .option('--lang <lang>', 'es or en (default: from LC_ALL / LANG)')
  .option('--json', 'machine-readable output for list and show commands')
  .option('--config-dir <dir>', 'where tvault keeps its settings (default ~/.config/tvault, or $TVAULT_HOME)')
  .option('--passphrase-fd <n>', 'read the passphrase from this file descriptor (scripts); never pass it as an argument')
  .showHelpAfterError();

let context: Context | undefined;
const ctx = () => (context ??= new Context(program.opts<GlobalOptions>()));

accountCommands(program, ctx);
recordCommands(program, ctx);
fileCommands(program, ctx);
sharingCommands(program, ctx);
auditCommands(program, ctx);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const c = ctx();
  const { line, code } = explain(err, c.t, c.options.server ?? (await c.settings().catch(() => ({ server: undefined }))).server);
  process.stderr.write(`tvault: ${line}\n`);
  process.exitCode = code;
}
