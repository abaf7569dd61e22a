// tvault as a user runs it (the compiled bin/tvault.js, no TypeScript loader), the passphrase
// on fd 3 as a script would give it, at the default Argon2id cost (no TVAULT_UNSAFE_TEST_KDF).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { cpuSeconds } from './server.ts';
import { onCore } from './pin.ts';

const BIN = path.resolve(import.meta.dirname, '../../cli/bin/tvault.js');

export interface TvaultRun {
  stdout: string;
  /** Epoch ms at spawn and at exit. */
  started: number;
  ended: number;
  /** User + system CPU of the process (and its children), read from this process's waited-for children. */
  cpu: number;
}

/** Runs tvault to its end; `onSpawn` learns its pid (for a CPU sampler). */
export async function tvault(home: string, passphrase: string, args: string[], onSpawn?: (pid: number) => void): Promise<TvaultRun> {
  const cpuBefore = await cpuSeconds('self', true);
  const started = Date.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(...onCore('client', process.execPath, [BIN, '--passphrase-fd', '3', ...args]), {
      env: { ...process.env, TVAULT_HOME: home, LANG: 'en_US.UTF-8', LC_ALL: '' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const fd3 = child.stdio[3] as NodeJS.WritableStream;
    fd3.on('error', () => undefined);
    fd3.end(`${passphrase}\n`);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const ended = Date.now();
  if (code !== 0) throw new Error(`tvault ${args.join(' ')} exited ${code}: ${stderr}`);
  return { stdout, started, ended, cpu: (await cpuSeconds('self', true)) - cpuBefore };
}
