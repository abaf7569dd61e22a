import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import type { Translate } from '../i18n/index.ts';
import { UsageError } from '../errors.ts';
import { agentSocket, errorFields, lockAgent, rebuild, serveAgent } from '../agent.ts';

// tvault unlock / lock ([Note: the unlock agent] in cli/src/agent.ts).

const AGENT = '__agent';

function minutes(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 24 * 60)) throw new UsageError(`--minutes ${value}`);
  return n;
}

export function agentCommands(program: Command, ctx: () => Context, t: Translate): void {
  program
    .command('unlock')
    .description(t('help.unlock'))
    .option('--minutes <n>', t('help.unlock-minutes'), minutes, 15)
    .action(async (opts: { minutes: number }) => {
      const c = ctx();
      const socket = agentSocket(c.dir);
      if (!socket) throw new UsageError(c.t('agent.noMemoryFolder'));
      await lockAgent(c.dir);
      const passphrase = await c.passphrase();
      const global = Object.entries(c.options).flatMap(([k, v]) => (k === 'passphraseFd' || k === 'json' || v === undefined ? [] : [`--${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`, String(v)]));
      // The agent logs in itself, with the passphrase on its stdin: nothing goes to disk.
      const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...global, '--config-dir', c.dir, '--passphrase-fd', '0', AGENT, '--minutes', String(opts.minutes)], {
        detached: true,
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      child.stdin!.end(`${passphrase}\n`);
      let said = '';
      child.stdout!.on('data', (d: Buffer) => (said += d.toString()));
      await new Promise<void>((resolve) => {
        child.stdout!.on('close', resolve);
        child.on('exit', () => resolve());
      });
      if (!said.startsWith('ready')) throw said.trim() ? rebuild(JSON.parse(said) as Record<string, unknown>) : new UsageError(c.t('agent.failed'));
      child.unref();
      c.print(c.t('agent.unlocked', { minutes: opts.minutes }));
    });

  program
    .command(AGENT, { hidden: true })
    .option('--minutes <n>', '', minutes, 15)
    .action(async (opts: { minutes: number }) => {
      const c = ctx();
      c.useAgent = false;
      process.on('SIGHUP', () => undefined); // outlives the terminal it was started from
      try {
        await c.withVault((vault) =>
          serveAgent(vault, agentSocket(c.dir)!, opts.minutes, () => {
            process.stdout.write('ready\n');
            process.stdout.end();
          }),
        );
      } catch (err) {
        process.stdout.write(JSON.stringify(errorFields(err)));
        throw err;
      }
    });

  program
    .command('lock')
    .description(t('help.lock'))
    .action(async () => {
      const c = ctx();
      c.print(c.t((await lockAgent(c.dir)) ? 'agent.locked' : 'agent.none'));
    });
}
