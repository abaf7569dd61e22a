import { spawn } from 'node:child_process';
import path from 'node:path';
import { RUN_TS } from './run-ts.ts';

// tvault in a child process, from its sources (no build needed), for the CLI tests.

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export const CLI_MAIN = path.resolve(import.meta.dirname, '..', 'cli/src/main.ts');

/**
 * A runner whose every user `who` has its own config folder under `work`; the passphrase
 * (lines, in the order the command asks) goes on fd 3, as a script would pass it.
 */
export function tvaultIn(work: string) {
  return (who: string, passphrase: string, args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...RUN_TS, CLI_MAIN, '--passphrase-fd', '3', ...args], {
        cwd: work,
        env: { ...process.env, TVAULT_HOME: path.join(work, who), TVAULT_UNSAFE_TEST_KDF: '1', LANG: 'en_US.UTF-8', LC_ALL: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const fd3 = child.stdio[3] as NodeJS.WritableStream;
      fd3.on('error', () => undefined); // commands that never ask close it unread
      fd3.end(`${passphrase}\n`);
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

// Passphrases above the client's floor (test/passphrase-strength.test.ts): random words.
export const COORD_PASS = 'girasol tranvía pelícano brújula';
export const LAWYER_PASS = 'cometa almendra túnel orquesta';

/** Registers a coordinator (config folder "coord") and a lawyer ("lawyer") on `server` through `tvault`. */
export async function registerCoordinatorAndLawyer(tvault: (who: string, pass: string, args: string[]) => Promise<Run>, server: string, handles: { coordinator: string; lawyer: string }): Promise<void> {
  for (const [who, pass, name] of [['coord', COORD_PASS, handles.coordinator], ['lawyer', LAWYER_PASS, handles.lawyer]] as const) {
    const r = await tvault(who, pass, ['--server', server, 'register', name]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
}
