// npx tsx scripts/bench-web.ts [--size-mib 256] [--runs 3] [--no-profile] [--only upload] [--profile-out FILE] [--poll-listing]
// The web client against tvault on the same server, in one run (docs/PERFORMANCE.md, "Web
// client"): (1) encrypt-and-upload of one file through the real page in headless Chromium
// and through `tvault attach`; (2) the login page's time to interactive and the JavaScript it
// takes, unthrottled and on a slow profile; (3) login at the account's Argon2id cost in the
// browser, with tvault, and with Vault.login in this process. The server runs as its own
// process on a throwaway PostgreSQL database when DATABASE_URL is set, else embedded.
import { execFileSync } from 'node:child_process';
import { link, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Vault } from '@testimony-vault/client/node';
import { buildWeb, launch } from '../test/web/browser.ts';
import { writeRandom } from '../test/web/fixtures.ts';
import { contentEncoding, firstLoad, type Throttle } from './bench-web/browser.ts';
import { BareChromium, BareTab } from './bench-web/cdp.ts';
import { chromiumCpu, chromiumPids, cpuDelta, profileWorker, type WorkerProfile } from './bench-web/chromium.ts';
import { machineCpu, postgresBackends, sampleCpu, type Groups } from './bench-web/sampler.ts';
import { cpuSeconds, fromLog, startServer, uploadWindow, type LoggedRequest } from './bench-web/server.ts';
import { tvault } from './bench-web/tvault.ts';
import { testCertificate } from '../test/tls.ts';
import { enablePinning, pinPostgres, pinToServerCore, pinning } from './bench-web/pin.ts';

const { values: args } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '256' },
    runs: { type: 'string', default: '3' },
    'no-profile': { type: 'boolean', default: false },
    // Only the upload comparison (and its profile): quicker when working on the upload path.
    only: { type: 'string' },
    // Where to write the worker's whole CPU profile (.cpuprofile, opens in Chromium's DevTools).
    'profile-out': { type: 'string' },
    // The page polled every 20 ms for the listed file, as the harness did before 2026-12-07.
    'poll-listing': { type: 'boolean', default: false },
    // The client on core 0, the server and PostgreSQL on core 1 ([Note: client and server on cores of their own]).
    pin: { type: 'boolean', default: false },
    // The server speaks HTTPS itself ([Note: HTTP/2 served directly]) on a certificate made for
    // the run: the browser over HTTP/2 (parts as Blobs, as over HTTP/1.1), tvault over HTTP/1.1, both on TLS.
    tls: { type: 'boolean', default: false },
  },
});
const sizeMiB = Number(args['size-mib']);
const runs = Number(args.runs);
const uploadOnly = args.only === 'upload';
if (args.only !== undefined && !uploadOnly) throw new Error('--only takes one value: upload');
if (args.pin) enablePinning();
// This process's own fetch (the Node login row) would not trust the run's certificate.
if (args.tls && !uploadOnly) throw new Error('--tls measures the upload only: add --only upload');
const HANDLE = 'banco-pruebas';
const PASSPHRASE = 'cántaro murciélago anzuelo tranvía glaciar';
const TITLE = 'Banco de pruebas';

// Teardowns in reverse order, as tap would run them (test/web/browser.ts takes this shape).
const teardowns: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** "median (min–max)" of a set of runs. */
const mr = (xs: number[], digits = 2) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

/** Load average, to tell a disturbed run from a quiet one. */
const load = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');

/** The login as the server saw it, from a client's start: its first request, the login request's start and end. */
function loginSplit(requests: LoggedRequest[], from: number, started: number, done: number) {
  // API requests only: the worker's own script is fetched after the click too.
  const seen = requests.slice(from).filter((r) => r.start >= started - 5 && r.route.startsWith('/v1/'));
  const first = seen[0];
  const login = seen.find((r) => r.method === 'POST' && r.route === '/v1/auth/login');
  if (!first || !login?.end) throw new Error('no login in the server log');
  return {
    total: done - started,
    toFirstRequest: first.start - started,
    kdf: login.start - first.start,
    server: login.end - login.start,
    after: done - login.end,
  };
}
type Split = ReturnType<typeof loginSplit>;

async function main() {
  const work = await mkdtemp(path.join(tmpdir(), 'tv-benchweb-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  // The packages tvault and Vite import (client-lib/dist, cli/dist), up to date.
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  const dist = await buildWeb(t);
  // Pinned before the server starts, so the backends its pool opens are forked on the server's core.
  const unpin = process.env.DATABASE_URL ? pinPostgres() : () => undefined;
  t.teardown(unpin);
  const tls = args.tls ? await testCertificate() : undefined;
  if (tls) {
    t.teardown(() => tls.remove());
    process.env.NODE_EXTRA_CA_CERTS = tls.certFile; // for tvault, a child of this process
  }
  const server = await startServer(t, dist, tls);
  t.teardown(() => server.stop());
  if (server.database) pinToServerCore(await postgresBackends(server.database));
  // Playwright's Chromium serves only the first-load measurements ([Note: uploads timed without Playwright]).
  const browser = uploadOnly ? undefined : await launch(t);
  const bare = await BareChromium.launch(tls ? [tls.chromiumFlag] : []);
  t.teardown(() => bare.close());
  const home = path.join(work, 'tvault');
  const log = server.requests;
  console.log(`server ${server.url} (${server.kind}), pid ${server.pid}; load ${await load()}${pinning() ? '; pinned: client on core 0, server and PostgreSQL on core 1' : ''}`);

  await tvault(home, PASSPHRASE, ['--server', server.url, 'register', HANDLE]);
  const narrative = path.join(work, 'relato.txt');
  await writeFile(narrative, 'Banco de pruebas del cliente web.');
  const created = await tvault(home, PASSPHRASE, ['--json', 'add', '--title', TITLE, '--narrative-file', narrative]);
  const recordId = (JSON.parse(created.stdout) as { id: string }).id;
  const file = await writeRandom(work, 'source.bin', sizeMiB);

  // (3) Login, the three clients in turn, `runs` times.
  const login = { browser: [] as Split[], tvault: [] as Split[], node: [] as Split[], list: [] as number[] };
  for (let i = 0; i < (uploadOnly ? 0 : runs); i++) {
    let from = log.length;
    const tab = await BareTab.open(bare, server.url);
    const b = await tab.login(HANDLE, PASSPHRASE);
    login.browser.push(await fromLog(() => loginSplit(log, from, b.click, b.list)));
    await tab.close();

    from = log.length;
    const c = await tvault(home, PASSPHRASE, ['login', HANDLE]);
    login.tvault.push(await fromLog(() => loginSplit(log, from, c.started, c.ended)));

    from = log.length;
    const t0 = Date.now();
    const vault = await Vault.login({ server: server.url, handle: HANDLE, passphrase: PASSPHRASE, device: 'bench' });
    const t1 = Date.now();
    login.node.push(await fromLog(() => loginSplit(log, from, t0, t1)));
    await vault.logout();
  }

  // (1) Upload, browser and tvault alternating (the order swapped each run).
  interface Upload { window: number; inParts: number; wall: number; serverCpu: number; machineCpu: number; clientCpu: Map<string, number>; inWindow: Map<string, number> }
  const up = { browser: [] as Upload[], tvault: [] as Upload[] };
  const bytes = sizeMiB * 1024 * 1024;
  // The groups of processes whose CPU is sampled during an upload ([Note: CPU in the window]).
  const serverGroups = async () => new Map<string, number[]>([
    ['server process', [server.pid]],
    ['PostgreSQL backends of its database', server.database ? await postgresBackends(server.database) : []],
  ]);
  const browserUpload = async (i: number): Promise<Upload> => {
    const tab = await BareTab.open(bare, server.url);
    try {
      await tab.login(HANDLE, PASSPHRASE);
      if (i < 0) console.log(`the page came over ${await tab.run<string>(`performance.getEntriesByType('navigation')[0].nextHopProtocol`)}`);
      const named = path.join(work, `video-navegador-${i}.mp4`);
      await link(file.path, named);
      const from = log.length;
      const chromium = [...(await chromiumPids())].map(([kind, pids]) => [`Chromium ${kind}`, pids] as const);
      const groups: Groups = async () => new Map([...(await serverGroups()), ...chromium]);
      const sampler = sampleCpu(groups);
      const [s0, m0, c0] = [await cpuSeconds(server.pid), await machineCpu(), await chromiumCpu()];
      const r = await tab.attach(TITLE, named, args['poll-listing']);
      const [s1, m1, c1] = [await cpuSeconds(server.pid), await machineCpu(), await chromiumCpu()];
      const trace = await sampler.stop();
      const w = await fromLog(() => uploadWindow(log, from));
      return { window: w.seconds, inParts: w.inParts, wall: (r.listed - r.picked) / 1000, serverCpu: s1 - s0, machineCpu: m1 - m0, clientCpu: cpuDelta(c1, c0), inWindow: trace.between(w.start, w.end) };
    } finally {
      await tab.close();
    }
  };
  const cliUpload = async (i: number): Promise<Upload> => {
    const named = path.join(work, `video-tvault-${i}.mp4`);
    await link(file.path, named);
    const from = log.length;
    let pid: number | undefined;
    const sampler = sampleCpu(async () => new Map([...(await serverGroups()), ['tvault process', pid === undefined ? [] : [pid]]]));
    const [s0, m0] = [await cpuSeconds(server.pid), await machineCpu()];
    const r = await tvault(home, PASSPHRASE, ['attach', recordId, named], (p) => (pid = p));
    const [s1, m1] = [await cpuSeconds(server.pid), await machineCpu()];
    const trace = await sampler.stop();
    const w = await fromLog(() => uploadWindow(log, from));
    return { window: w.seconds, inParts: w.inParts, wall: (r.ended - r.started) / 1000, serverCpu: s1 - s0, machineCpu: m1 - m0, clientCpu: new Map([['tvault process', r.cpu]]), inWindow: trace.between(w.start, w.end) };
  };
  // Warm-up of both paths (JIT, connections, the database's first pages), not counted.
  await cliUpload(-1);
  await browserUpload(-1);
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      up.browser.push(await browserUpload(i));
      up.tvault.push(await cliUpload(i));
    } else {
      up.tvault.push(await cliUpload(i));
      up.browser.push(await browserUpload(i));
    }
    console.log(`upload run ${i + 1}: browser ${up.browser.at(-1)!.window.toFixed(2)} s, tvault ${up.tvault.at(-1)!.window.toFixed(2)} s; load ${await load()}`);
  }

  // Where the worker's time goes: one more browser upload under the sampling profiler (not timed).
  let profile: WorkerProfile | undefined;
  if (!args['no-profile']) {
    const tab = await BareTab.open(bare, server.url);
    await tab.login(HANDLE, PASSPHRASE);
    const named = path.join(work, 'video-perfilado.mp4');
    await link(file.path, named);
    // Not always reliable: one run of 2026-12-06 waited here without end, so it is bounded.
    const bounded = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, no) => setTimeout(() => no(new Error('worker profile timed out')), 180_000))]);
    try {
      const profiler = await bounded(profileWorker(bare, tab.session, args['profile-out']));
      await bounded(tab.attach(TITLE, named));
      profile = await bounded(profiler.stop());
    } catch (err) {
      console.log(`no worker profile: ${(err as Error).message}`);
    }
    await tab.close().catch(() => undefined);
  }

  // (2) The login page from a cold cache, on three profiles.
  const profiles: [string, Throttle][] = [
    ['unthrottled', { cpu: 1 }],
    ['CPU ×4', { cpu: 4 }],
    ['CPU ×4 + network 1.6 Mbit/s, RTT 150 ms', { cpu: 4, network: { latency: 150, down: 200_000, up: 94_000 } }],
  ];
  const loads = new Map<string, Awaited<ReturnType<typeof firstLoad>>[]>();
  for (let i = 0; i < (uploadOnly ? 0 : runs); i++) for (const [name, th] of profiles) loads.set(name, [...(loads.get(name) ?? []), await firstLoad(browser!, server.url, th)]);
  const encoding = uploadOnly ? '' : await contentEncoding(`${server.url}${new URL(loads.get('unthrottled')![0]!.scripts[0]!.url).pathname}`);

  // Report.
  const mbps = (secs: number[]) => secs.map((s) => bytes / 1e6 / s);
  const ratio = median(mbps(up.browser.map((u) => u.window))) / median(mbps(up.tvault.map((u) => u.window)));
  console.log(`\nWeb client benchmark — database: ${server.kind}; ${sizeMiB} MiB file; ${runs} runs, median (min–max)${pinning() ? '; pinned: client on core 0, server and PostgreSQL on core 1' : ''}; ${new Date().toISOString()}; load ${await load()}\n`);
  console.log('| upload | browser (page, worker) | tvault attach | ratio browser / tvault |\n| --- | ---: | ---: | ---: |');
  console.log(`| first request → record's new version, server's log (MB/s) | ${mr(mbps(up.browser.map((u) => u.window)), 1)} | ${mr(mbps(up.tvault.map((u) => u.window)), 1)} | **${ratio.toFixed(2)}** |`);
  console.log(`| same window (s) | ${mr(up.browser.map((u) => u.window))} | ${mr(up.tvault.map((u) => u.window))} | |`);
  console.log(`| of which a part open on the server (s) | ${mr(up.browser.map((u) => u.inParts))} | ${mr(up.tvault.map((u) => u.inParts))} | |`);
  console.log(`| pick → listed as stored (browser) / whole command, login included (tvault) (s) | ${mr(up.browser.map((u) => u.wall))} | ${mr(up.tvault.map((u) => u.wall))} | |`);
  console.log(`| server process CPU (s) | ${mr(up.browser.map((u) => u.serverCpu))} | ${mr(up.tvault.map((u) => u.serverCpu))} | |`);
  console.log(`| whole machine busy CPU, 2 cores (s) | ${mr(up.browser.map((u) => u.machineCpu))} | ${mr(up.tvault.map((u) => u.machineCpu))} | |`);
  const kinds = new Set(up.browser.flatMap((u) => [...u.clientCpu.keys()]));
  for (const k of [...kinds].filter((k) => up.browser.some((u) => (u.clientCpu.get(k) ?? 0) >= 0.01))) console.log(`| client CPU: Chromium ${k} (s) | ${mr(up.browser.map((u) => u.clientCpu.get(k) ?? 0))} | | |`);
  console.log(`| client CPU: tvault process, login included (s) | | ${mr(up.tvault.map((u) => u.clientCpu.get('tvault process') ?? 0))} | |`);
  // [Note: CPU in the window]
  console.log(`\nCPU inside the same window (s), sampled from /proc every 100 ms; "other" is the machine's busy time beyond the groups listed (other work, this benchmark's own process, the kernel):\n`);
  console.log('| in the window | browser | tvault attach |\n| --- | ---: | ---: |');
  const rowsOf = (u: Upload[]) => new Set(u.flatMap((x) => [...x.inWindow.keys()]));
  const inWin = (u: Upload[], k: string) => (rowsOf(u).has(k) ? mr(u.map((x) => x.inWindow.get(k) ?? 0)) : '');
  const clientKeys = (u: Upload[]) => [...rowsOf(u)].filter((k) => k.startsWith('Chromium') || k === 'tvault process');
  const sum = (x: Upload, keys: string[]) => keys.reduce((n, k) => n + (x.inWindow.get(k) ?? 0), 0);
  for (const k of ['server process', 'PostgreSQL backends of its database']) console.log(`| ${k} | ${inWin(up.browser, k)} | ${inWin(up.tvault, k)} |`);
  const bk = clientKeys(up.browser);
  const tk = clientKeys(up.tvault);
  console.log(`| client, all its processes | ${mr(up.browser.map((x) => sum(x, bk)))} | ${mr(up.tvault.map((x) => sum(x, tk)))} |`);
  for (const k of bk.filter((k) => up.browser.some((x) => (x.inWindow.get(k) ?? 0) >= 0.01))) console.log(`| of which ${k} | ${inWin(up.browser, k)} | |`);
  console.log(`| whole machine, 2 cores | ${inWin(up.browser, 'machine')} | ${inWin(up.tvault, 'machine')} |`);
  const groupsOf = (u: Upload[]) => [...rowsOf(u)].filter((k) => k !== 'machine');
  console.log(`| other | ${mr(up.browser.map((x) => (x.inWindow.get('machine') ?? 0) - sum(x, groupsOf(up.browser))))} | ${mr(up.tvault.map((x) => (x.inWindow.get('machine') ?? 0) - sum(x, groupsOf(up.tvault))))} |`);
  if (profile) {
    console.log(`\nWorker CPU profile of one more browser upload: ${(profile.totalMs / 1000).toFixed(2)} s sampled; self time of the heaviest functions:\n`);
    console.log('| function [file] | self (s) | share |\n| --- | ---: | ---: |');
    for (const f of profile.top) console.log(`| \`${f.name}\` | ${(f.ms / 1000).toFixed(2)} | ${((100 * f.ms) / profile.totalMs).toFixed(0)} % |`);
  }

  if (uploadOnly) return;
  console.log(`\nLogin page, cold cache (server sends scripts with Content-Encoding: ${encoding || 'none'}; gzip sizes computed here, zlib level 6):\n`);
  console.log('| profile | time to interactive (ms) | JS before interactive, raw (KiB) | same, gzip (KiB) | all bytes before (KiB) | worker started before |\n| --- | ---: | ---: | ---: | ---: | --- |');
  for (const [name, ls] of loads) {
    const raw = ls.map((l) => l.scripts.reduce((n, s) => n + s.wire, 0) / 1024);
    const gz = ls.map((l) => l.scripts.reduce((n, s) => n + s.gzip, 0) / 1024);
    console.log(`| ${name} | ${mr(ls.map((l) => l.interactive), 0)} | ${mr(raw, 1)} | ${mr(gz, 1)} | ${mr(ls.map((l) => l.allBytes / 1024), 1)} | ${ls.map((l) => (l.workerBefore ? 'yes' : 'no')).join(', ')} |`);
  }
  console.log(`\nScripts before interactive: ${loads.get('unthrottled')![0]!.scripts.map((s) => `${new URL(s.url).pathname} ${(s.wire / 1024).toFixed(1)} KiB (gzip ${(s.gzip / 1024).toFixed(1)})`).join('; ')}`);

  console.log('\nLogin at the account\'s cost (Argon2id 256 MiB × 3), same account (ms):\n');
  console.log('| client | total | start → first request | first request → login request (KDF) | login request (server) | after login | ratio to tvault |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const tv = median(login.tvault.map((s) => s.total));
  for (const [name, ss] of [['browser: click "Entrar" → "Testimonios" heading', login.browser], ['`tvault login` (whole process)', login.tvault], ['`Vault.login` in Node (this process)', login.node]] as const) {
    const col = (k: keyof Split) => mr(ss.map((s) => s[k]), 0);
    console.log(`| ${name} | ${col('total')} | ${col('toFirstRequest')} | ${col('kdf')} | ${col('server')} | ${col('after')} | ${(median(ss.map((s) => s.total)) / tv).toFixed(2)} |`);
  }
}

try {
  await main();
} finally {
  for (const fn of teardowns.reverse()) await fn();
}
