// CPU inside the upload window ([Note: CPU in the window]).
//
// [Note: CPU in the window]
// The uploads are compared on the server's window (the file's creation to the record's new
// version), so the CPU that explains them is the CPU spent inside that window, not over the
// whole command (tvault's includes its login's Argon2id and its survey of the file, the
// browser's its survey). A sampler reads /proc every SAMPLE_MS during an upload, for fixed
// groups of processes: the server, the PostgreSQL backends of the server's database (their
// process title names it), the client (each Chromium process by kind, or tvault's process),
// and the whole machine; the window's share is interpolated between samples. What the
// machine spent beyond these groups is other work on the machine (another test run, say).
import { readdir, readFile } from 'node:fs/promises';
import { cpuSeconds } from './server.ts';

export const SAMPLE_MS = 100;

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export async function machineCpu(): Promise<number> {
  const [, ...f] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/** Pids of the PostgreSQL backends serving one database (their process title: "postgres: … user DATABASE host(port) …"). */
export async function postgresBackends(database: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.startsWith('postgres:') && cmdline.split(/\s+/).includes(database)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Every pid a group has had: one that left it (a backend that exited) still counts what it spent. */
function union(before: Map<string, number[]>, now: Map<string, number[]>): Map<string, number[]> {
  const all = new Map(before);
  for (const [name, pids] of now) all.set(name, [...new Set([...(all.get(name) ?? []), ...pids])]);
  return all;
}

export type Groups = () => Promise<Map<string, number[]>>;

interface Sample {
  at: number;
  cpu: Map<string, number>;
}

/** Sums each group's CPU seconds, and the machine's as "machine". A process gone since is counted at its last reading. */
async function read(groups: Map<string, number[]>, last: Map<number, number>): Promise<Map<string, number>> {
  const cpu = new Map<string, number>([['machine', await machineCpu()]]);
  for (const [name, pids] of groups) {
    let sum = 0;
    for (const pid of pids) {
      const s = await cpuSeconds(pid).catch(() => last.get(pid) ?? 0);
      last.set(pid, s);
      sum += s;
    }
    cpu.set(name, sum);
  }
  return cpu;
}

/**
 * Samples until stop(); `groups` is asked again every second (a backend or a process may
 * start during the upload: tvault's pid is known only once it is spawned).
 */
export function sampleCpu(groups: Groups): { stop(): Promise<CpuTrace> } {
  const samples: Sample[] = [];
  const last = new Map<number, number>();
  let current = new Map<string, number[]>();
  let stopped = false;
  const loop = (async () => {
    let refreshed = 0;
    while (!stopped) {
      if (Date.now() - refreshed >= 1000) {
        current = union(current, await groups());
        refreshed = Date.now();
      }
      const at = Date.now();
      samples.push({ at, cpu: await read(current, last) });
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      current = union(current, await groups());
      samples.push({ at: Date.now(), cpu: await read(current, last) });
      return new CpuTrace(samples);
    },
  };
}

export class CpuTrace {
  constructor(private readonly samples: Sample[]) {}

  /** A group's CPU seconds at epoch ms `t`, interpolated between the samples around it. */
  private at(group: string, t: number): number {
    const s = this.samples;
    const value = (i: number) => s[i]!.cpu.get(group) ?? 0;
    if (t <= s[0]!.at) return value(0);
    for (let i = 1; i < s.length; i++) {
      if (t <= s[i]!.at) {
        const [a, b] = [s[i - 1]!, s[i]!];
        return value(i - 1) + ((value(i) - value(i - 1)) * (t - a.at)) / Math.max(1, b.at - a.at);
      }
    }
    return value(s.length - 1);
  }

  /** CPU seconds of every group between two epoch ms (the groups include "machine"). */
  between(from: number, to: number): Map<string, number> {
    const names = new Set(this.samples.flatMap((s) => [...s.cpu.keys()]));
    return new Map([...names].map((n) => [n, this.at(n, to) - this.at(n, from)]));
  }
}
