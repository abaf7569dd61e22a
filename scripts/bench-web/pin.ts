// [Note: client and server on cores of their own] (bench-web --pin)
// On this machine the browser, the server and PostgreSQL share 2 cores, so whatever CPU the
// browser spends beyond tvault's lengthens its window even where the server is the slower
// link: the target's premise ("the storage path, not the browser, should be the limit")
// cannot be seen. --pin gives each side a core, as a deployment gives each a machine: the
// client (Chromium and every process it starts, or tvault) on core 0, the server and
// PostgreSQL on core 1 (its postmaster, so every backend it forks from then on, and the
// backends already serving the bench's database). Both clients are measured the same way; the
// unpinned run stays the figure for a machine that serves and browses at once.
import { execFileSync } from 'node:child_process';

export const CLIENT_CORE = 0;
export const SERVER_CORE = 1;

let enabled = false;

export function enablePinning(): void {
  enabled = true;
}

export function pinning(): boolean {
  return enabled;
}

/** The command to spawn for one side: under `taskset` (which execs it: the pid stays) when pinning. */
export function onCore(side: 'client' | 'server', command: string, args: string[]): [string, string[]] {
  if (!enabled) return [command, args];
  return ['taskset', ['-c', String(side === 'client' ? CLIENT_CORE : SERVER_CORE), command, ...args]];
}

const mask = (pid: number) => /affinity mask: ([0-9a-f]+)/.exec(execFileSync('taskset', ['-p', String(pid)], { encoding: 'utf8' }))?.[1];

/** Puts running processes (PostgreSQL backends already open) on the server's core. */
export function pinToServerCore(pids: number[]): void {
  if (!enabled) return;
  for (const pid of pids) execFileSync('taskset', ['-a', '-p', '-c', String(SERVER_CORE), String(pid)], { stdio: 'ignore' });
}

/** Puts PostgreSQL's postmaster (and so every backend it forks next) on the server's core; returns what puts it back. */
export function pinPostgres(): () => void {
  if (!enabled) return () => undefined;
  const postmaster = Number(execFileSync('pgrep', ['-o', '-x', 'postgres'], { encoding: 'utf8' }).trim());
  if (!postmaster) throw new Error('--pin: no PostgreSQL postmaster found');
  const before = mask(postmaster);
  pinToServerCore([postmaster]);
  return () => {
    if (before) execFileSync('taskset', ['-a', '-p', before, String(postmaster)], { stdio: 'ignore' });
  };
}
