import { generate, type FuzzTarget } from './cases.ts';
import { operationsOf, type Operation } from './openapi.ts';
import { sendAll } from './send.ts';
import { Tally } from './tally.ts';

// One fuzzing run against a listening server: every operation of its OpenAPI document,
// `requests` cases from `seed`, `concurrency` at once. Used by `npm run reliability:fuzz`
// (a server in its own process) and by test/fuzz.test.ts (in-process).

export interface RunOptions {
  server: string;
  seed: number;
  requests: number;
  concurrency: number;
  /** Called every `every` answers (progress on a terminal). */
  progress?: { every: number; report: (t: Tally) => void };
}

export async function operations(server: string): Promise<Operation[]> {
  const res = await fetch(`${server}/openapi.json`);
  if (!res.ok) throw new Error(`GET /openapi.json: ${res.status}`);
  return operationsOf((await res.json()) as Parameters<typeof operationsOf>[0]);
}

export async function fuzz(options: RunOptions, target: FuzzTarget): Promise<{ tally: Tally; operations: number; alive: boolean }> {
  const ops = await operations(options.server);
  const tally = new Tally();
  await sendAll(options.server, generate(ops, target, options.seed, options.requests), options.concurrency, (c, a) => {
    tally.add(c, a);
    if (options.progress && tally.sent % options.progress.every === 0) options.progress.report(tally);
  });
  // The server must still answer after all of it.
  const alive = await fetch(`${options.server}/ready`).then((r) => r.ok, () => false);
  return { tally, operations: ops.length, alive };
}
