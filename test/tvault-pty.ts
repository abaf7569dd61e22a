import { spawn } from 'node:child_process';
import path from 'node:path';
import { RUN_TS } from './run-ts.ts';
import { CLI_MAIN, type Run } from './tvault-run.ts';

// tvault on a terminal of its own: util-linux `script` gives the child a pseudo-terminal as
// its controlling terminal (so /dev/tty, raw mode, progress bars and Ctrl-C behave as for
// a person), and what the test writes to script's stdin is what the person types.

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export interface PtyStep {
  /** Wait until the terminal shows this... */
  when: RegExp;
  /** ...then type this (e.g. "passphrase\r", or "\x03" for Ctrl-C). */
  type: string;
}

/**
 * Runs tvault with `args` in `work` on a pseudo-terminal; `shellTail` is appended to the
 * command line as written (e.g. `< narrative.txt`, `3< pass.txt`). stdout is the terminal's
 * whole output (stdout and stderr mixed, as a person sees them, with \r\n line ends).
 */
export function tvaultOnTerminal(work: string, who: string, args: string[], opts: { shellTail?: string; steps?: PtyStep[]; env?: Record<string, string> } = {}): Promise<Run> {
  const command = [process.execPath, ...RUN_TS, CLI_MAIN, ...args].map(quote).join(' ') + (opts.shellTail ? ` ${opts.shellTail}` : '');
  return onTerminal(work, command, { steps: opts.steps ?? [], env: { TVAULT_HOME: path.join(work, who), TVAULT_UNSAFE_TEST_KDF: '1', LANG: 'en_US.UTF-8', LC_ALL: '', ...opts.env } });
}

/** Runs a shell command line in `cwd` on a pseudo-terminal, typing each step's answer when its prompt shows. */
export function onTerminal(cwd: string, command: string, opts: { steps: PtyStep[]; env: Record<string, string> }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd,
      env: { ...process.env, TERM: 'xterm', COLUMNS: '100', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const steps = [...opts.steps];
    let stdout = '';
    let stderr = '';
    let seen = 0;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const step = steps[0];
      if (step && step.when.test(stdout.slice(seen))) {
        steps.shift();
        seen = stdout.length;
        child.stdin.write(step.type);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
