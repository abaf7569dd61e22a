import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);
// The server's CPU time, garbage collections and peak RSS per download, for comparing two
// builds of the server in the same minutes (docs/PERFORMANCE.md, "Download slots"):
//   node scripts/build-server.mjs        # this checkout's server into dist/server/
//   ENTRY=dist/server/server.js NODEARGS='--max-semi-space-size=1 --trace-gc' MODES=plain,plain,enc \
//     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx --conditions=@testimony-vault/source scripts/bench-files-download-gc.ts
// ENTRY: the server bundle to run (another build, e.g. of the commit before, for the other side);
// N: MiB of the file (256); MODES: downloads in order, plain (fetch, no crypto) or enc (openFile);
// LOG: a file for the server's output. Counts need --trace-gc in NODEARGS.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Vault, toNodeReadable } from '@testimony-vault/client/node';
import { scratchPostgres } from './bench-database.ts';
const MiB = 1 << 20;
const N = Number(process.env.N ?? 256);
function source(size: number) { const block = randomBytes(16 * MiB); let sent = 0; return new Readable({ read() { if (sent >= size) return void this.push(null); const n = Math.min(MiB, size - sent); const p = Buffer.from(block.subarray(sent % block.length, sent % block.length + n)); p.writeUInt32BE(sent / MiB, 0); sent += n; this.push(p); } }); }
const cpu = async (pid: number) => { const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const hwm = async (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const db = await scratchPostgres(process.env.DATABASE_URL!);
const env = { ...process.env, DATABASE_URL: db.url, PORT: '0', VAULT_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'h5-')), REGISTRATION: 'open', KDF_MIN_OPS: '1', KDF_MIN_MEM_BYTES: '8192', LOG_LEVEL: 'warn', FILE_MAX_BYTES: String(64 * 1024 ** 3), USER_QUOTA_BYTES: String(512 * 1024 ** 3), MALLOC_MMAP_THRESHOLD_: '131072' };
const proc = spawn(process.execPath, [...(process.env.NODEARGS ?? '--max-semi-space-size=1').split(' ').filter(Boolean), process.env.ENTRY ?? 'dist/server/server.js'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let gcs = 0; let mcs = 0;
const url = await new Promise<string>((res) => { let out = ''; proc.stdout.on('data', (d: Buffer) => { out += d; if (process.env.LOG) require('node:fs').appendFileSync(process.env.LOG, d); const s = d.toString(); gcs += (s.match(/Scavenge/g) ?? []).length; mcs += (s.match(/Mark-Compact/g) ?? []).length; const m = /listening on (http:\/\/\S+)/.exec(out); if (m?.[1]) res(m[1]); }); });
const KDF = { opsLimit: 1, memLimit: 8192 };
let token = '';
const capture: typeof fetch = async (i, init) => { const r = await fetch(i, init); if (String(i).endsWith('/v1/auth/login') && r.ok) token = ((await r.clone().json()) as { token: string }).token; return r; };
const vault = (await Vault.register({ server: url, handle: `h5-${randomUUID().slice(0, 8)}`, passphrase: 'x', kdf: KDF, kdfFloor: KDF, fetch: capture })).vault;
const { id: recordId } = await vault.createRecord({ title: 'b', narrative: 'b' });
const { fileId } = await vault.attachFile(recordId, source(N * MiB), { name: 'a', type: 'x' });
const row = await (await fetch(`${url}/v1/files/${fileId}/upload`, { headers: { authorization: `Bearer ${token}` } })).json();
void row;
const results: string[] = [];
for (const mode of (process.env.MODES ?? 'plain,enc,plain,enc,plain,enc').split(',')) {
  await writeClear(proc.pid!);
  const [c0, g0, m0, t0] = [await cpu(proc.pid!), gcs, mcs, performance.now()];
  let n = 0;
  if (mode === 'plain') { const r = await fetch(`${url}/v1/files/${fileId}`, { headers: { authorization: `Bearer ${token}` } }); for await (const p of Readable.fromWeb(r.body as never)) n += (p as Buffer).length; }
  else for await (const p of toNodeReadable(await vault.openFile(recordId, fileId))) n += (p as Buffer).length;
  const secs = (performance.now() - t0) / 1000; await new Promise((r) => setTimeout(r, 200));
  results.push(`${mode}: ${(n / 1e6 / secs).toFixed(0)} MB/s, server CPU ${((await cpu(proc.pid!)) - c0).toFixed(2)} s, scavenges ${gcs - g0}, mark-compacts ${mcs - m0}, peak ${(await hwm(proc.pid!)).toFixed(0)} MiB`);
}
async function writeClear(pid: number) { const { writeFile } = await import('node:fs/promises'); await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => {}); }
console.log(results.join('\n'));
proc.kill('SIGTERM'); await new Promise((r) => proc.on('exit', r)); await db.drop();
