// npm run bench:cli-startup [-- --runs N]     (after `npm run build`: it runs the compiled tvault)
// How long `tvault` takes to start (issue 19, docs/PERFORMANCE.md "tvault start-up"), each
// measure taken --runs times, alternated, the median kept, beside Node's own start:
//   - `node -e 0`: Node starting and ending, nothing else (the floor);
//   - `node cli/bin/tvault.js --version`: tvault's entry point, nothing loaded;
//   - `tvault whoami` without the agent: until its first request reaches the server (the
//     pre-login), then to its end (Argon2id at the test cost: TVAULT_UNSAFE_TEST_KDF);
//   - `tvault whoami` through an unlocked agent (`tvault unlock`): to its end.
// The server (buildApp on a throwaway database, as the tests make it) sits behind a small
// proxy in this process that notes when each request arrives.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { build, handle } from '../test/helper.ts';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const runs = Number(args.runs);
const TVAULT = path.resolve(import.meta.dirname, '../cli/bin/tvault.js');
const PASSPHRASE = 'girasol tranvía pelícano brújula';

const teardowns: (() => unknown)[] = [];
const server = await build({ teardown: (fn) => teardowns.push(fn) });

/** Forwards to the server; remembers when the first request of the current run arrived. */
let firstRequestAt: number | undefined;
const proxy = http.createServer((req, res) => {
  firstRequestAt ??= performance.now();
  const target = new URL(req.url ?? '/', server.url);
  const out = http.request(target, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  out.on('error', () => res.destroy());
  req.pipe(out);
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;

const work = await mkdtemp(path.join(tmpdir(), 'tvault-startup-'));
const runtime = await mkdtemp(path.join('/dev/shm', 'tvault-startup-'));
const env = { ...process.env, TVAULT_HOME: path.join(work, 'home'), TVAULT_UNSAFE_TEST_KDF: '1', LANG: 'en_US.UTF-8', LC_ALL: '', XDG_RUNTIME_DIR: runtime };

interface Timed {
  code: number;
  stderr: string;
  /** From spawn to exit, ms. */
  total: number;
  /** From spawn to the first request at the server, ms (undefined: none came). */
  toFirstRequest: number | undefined;
}

function run(command: string[], passphrase?: string): Promise<Timed> {
  return new Promise((resolve, reject) => {
    firstRequestAt = undefined;
    const start = performance.now();
    const child = spawn(process.execPath, command, { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const fd3 = child.stdio[3] as NodeJS.WritableStream;
    fd3.on('error', () => undefined);
    fd3.end(passphrase === undefined ? '' : `${passphrase}\n`);
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stderr, total: performance.now() - start, toFirstRequest: firstRequestAt === undefined ? undefined : firstRequestAt - start });
    });
  });
}

const tvault = (argv: string[], passphrase?: string) => run([TVAULT, '--passphrase-fd', '3', ...argv], passphrase);
const must = (r: Timed, what: string) => {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}: ${r.stderr}`);
  return r;
};

try {
  must(await tvault(['--server', proxyUrl, 'register', handle('inicio')], PASSPHRASE), 'register');
  // A build without --version answers it with a usage error after loading everything: still its bare start.
  const version = await run([TVAULT, '--version']);
  if (version.code !== 0 && !/unknown option/.test(version.stderr)) throw new Error(`tvault --version: ${version.stderr} (run \`npm run build\` first)`);

  const samples = new Map<string, number[]>();
  const note = (what: string, ms: number | undefined) => {
    if (ms === undefined) throw new Error(`${what}: no request reached the server`);
    samples.set(what, [...(samples.get(what) ?? []), ms]);
  };
  for (let i = 0; i <= runs; i++) {
    const warmUp = i === 0;
    const keep = (what: string, ms: number | undefined) => void (warmUp || note(what, ms));
    keep('node -e 0', must(await run(['-e', '0']), 'node -e 0').total);
    keep('tvault --version', (await run([TVAULT, '--version'])).total);
    const cold = must(await tvault(['whoami'], PASSPHRASE), 'whoami');
    keep('whoami, no agent: to its first request', cold.toFirstRequest);
    keep('whoami, no agent: to its end', cold.total);
    must(await tvault(['unlock'], PASSPHRASE), 'unlock');
    keep('whoami through the agent: to its end', must(await tvault(['whoami']), 'whoami (agent)').total);
    must(await tvault(['lock']), 'lock');
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const floor = median(samples.get('node -e 0')!);
  console.log(`tvault start-up — ${runs} runs each, alternated, median (min–max) in ms; ${new Date().toISOString()}; load ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('');
  console.log('| what | ms | over `node -e 0` (ms) |');
  console.log('| --- | ---: | ---: |');
  for (const [what, xs] of samples) {
    const m = median(xs);
    console.log(`| ${what} | ${m.toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}) | ${what === 'node -e 0' ? '—' : `+${(m - floor).toFixed(0)}`} |`);
  }
} finally {
  await tvault(['lock']).catch(() => undefined);
  proxy.close();
  for (const fn of teardowns.reverse()) await fn();
  await rm(work, { recursive: true, force: true });
  await rm(runtime, { recursive: true, force: true });
}
process.exit(0);
