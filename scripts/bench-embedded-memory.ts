// npm run bench:embedded-memory — the compiled server's resident memory on the embedded
// database (PGlite), at its first start on a new data folder and at a restart, with the
// shared buffers the server uses (EMBEDDED_SHARED_BUFFERS_MIB, default 16) beside
// PostgreSQL's default of 128 MiB, in one run. [Note: embedded database memory] in
// server/src/db/embedded.ts says what the settings are and why.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist', 'server', 'server.js');

/** VmRSS and VmHWM (peak) of a process, in MiB. */
async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

/** Starts the server as `npm start` does, waits until it answers, reads its memory, stops it. */
async function startAndMeasure(dataDir: string, sharedBuffersMiB: number): Promise<{ rss: number; peak: number; seconds: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', VAULT_DATA_DIR: dataDir, EMBEDDED_SHARED_BUFFERS_MIB: String(sharedBuffersMiB), MALLOC_MMAP_THRESHOLD_: '131072', LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  const started = performance.now();
  const child = spawn(process.execPath, ['--max-semi-space-size=1', entry], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the server stopped (${code}) before listening`)));
  });
  // One request that reaches the database, so PGlite has done real work.
  const ready = await fetch(`${url}/ready`);
  if (!ready.ok) throw new Error(`/ready answered ${ready.status}`);
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  const m = await memory(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { ...m, seconds };
}

console.log(`Embedded database, compiled server (${path.relative(root, entry)}), ${new Date().toISOString()}`);
console.log('| shared buffers | first start: RSS / peak (MiB) | restart: RSS / peak (MiB) | first start (s) |\n| ---: | ---: | ---: | ---: |');
for (const mib of [16, 128]) {
  const dir = await mkdtemp(path.join(tmpdir(), 'tv-embedded-'));
  try {
    const first = await startAndMeasure(dir, mib);
    const again = await startAndMeasure(dir, mib);
    console.log(`| ${mib} MiB | ${first.rss} / ${first.peak} | ${again.rss} / ${again.peak} | ${first.seconds.toFixed(1)} |`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
