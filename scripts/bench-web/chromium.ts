// Where Chromium spends its CPU: the time of each of its processes by kind (read from /proc,
// so nothing is added to what is measured), and a sampling CPU profile of the crypto worker
// taken through the DevTools protocol.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import type { BareChromium } from './cdp.ts';
import { cpuSeconds } from './server.ts';

async function stat(pid: number): Promise<{ ppid: number } | undefined> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    return { ppid: Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) };
  } catch {
    return undefined; // gone meanwhile
  }
}

function kindOf(cmdline: string): string {
  const type = /--type=(\S+)/.exec(cmdline)?.[1];
  if (!type) return 'browser';
  if (type === 'utility') return /NetworkService/.test(cmdline) ? 'network service' : 'utility (other)';
  return type === 'renderer' ? 'renderer (page + worker)' : type;
}

/** Every Chromium process below this one, by kind. */
export async function chromiumPids(): Promise<Map<string, number[]>> {
  const parents = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = await stat(pid);
    if (s) parents.set(pid, s.ppid);
  }
  const mine = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  const byKind = new Map<string, number[]>();
  for (const pid of parents.keys()) {
    if (!mine(pid)) continue;
    try {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (!/chrom/i.test(cmdline)) continue;
      const kind = kindOf(cmdline);
      byKind.set(kind, [...(byKind.get(kind) ?? []), pid]);
    } catch {
      // gone meanwhile
    }
  }
  return byKind;
}

/** CPU seconds of every Chromium process below this one, summed by kind. */
export async function chromiumCpu(): Promise<Map<string, number>> {
  const byKind = new Map<string, number>();
  for (const [kind, pids] of await chromiumPids()) {
    for (const pid of pids) {
      const s = await cpuSeconds(pid).catch(() => 0); // gone meanwhile
      byKind.set(kind, (byKind.get(kind) ?? 0) + s);
    }
  }
  return byKind;
}

export function cpuDelta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * A sampling profiler in the page's crypto worker, over the bare DevTools pipe
 * ([Note: uploads timed without Playwright]); stop() gives the self time of the heaviest functions.
 */
export async function profileWorker(chromium: BareChromium, pageSession: string, saveTo?: string): Promise<{ stop(): Promise<WorkerProfile> }> {
  const session = await chromium.attachWorker(pageSession);
  const send = <T>(method: string, params: object = {}) => chromium.send<T>(method, params, session);
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 500 });
  await send('Profiler.start');
  return {
    async stop() {
      const { profile } = await send<{ profile: Profile }>('Profiler.stop');
      if (saveTo) await writeFile(saveTo, JSON.stringify(profile));
      await chromium.send('Target.detachFromTarget', { sessionId: session }, pageSession).catch(() => undefined);
      const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
      const self = new Map<string, number>();
      let totalMs = 0;
      profile.samples.forEach((id, i) => {
        const f = byNode.get(id)!;
        const file = f.url.startsWith('wasm://') ? 'wasm' : (f.url.split('/').pop() ?? '');
        const name = `${f.functionName || '(anonymous)'}${file ? ` [${file}]` : ''}`;
        const ms = (profile.timeDeltas[i] ?? 0) / 1000;
        totalMs += ms;
        self.set(name, (self.get(name) ?? 0) + ms);
      });
      const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([name, ms]) => ({ name, ms }));
      return { totalMs, top };
    },
  };
}

export interface WorkerProfile {
  totalMs: number;
  top: { name: string; ms: number }[];
}
