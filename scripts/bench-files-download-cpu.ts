// CPU seconds per download, by process: this client, the server and the database's backends,
// for plain downloads (fetch, no crypto, as bench-files.ts's baseline) and encrypted ones
// (vault.openFile), and the raw baseline (one binary COPY with pg, no server). For A/B of the
// download path in the same minutes (issue 19):
//   ENTRY=dist/server/server.js MODES=raw,plain,enc,raw,plain,enc N=256 \
//     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx --conditions=@testimony-vault/source scripts/bench-files-download-cpu.ts
// Mode plain-http: the plain download through node:http rather than fetch.
// Modes up and up-noclone: an encrypted upload (vault.attachFile), as it is and with its part PUTs made without undici's request clone.
// Mode up-plain: bench-files.ts's plain upload baseline (the same routes, plaintext parts, no crypto), for the upload's A/B.
// NODEARGS: the server's Node flags (default --max-semi-space-size=1; add --cpu-prof --cpu-prof-dir=DIR to profile it).
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { CHUNK_OVERHEAD, FILE_CHUNK_SIZE, PART_CHUNKS } from '@testimony-vault/protocol';
import { Vault, toNodeReadable } from '@testimony-vault/client/node';
import { chunksOf } from '../client-lib/src/files/chunker.ts';
import { partRequest } from '../client-lib/src/files/platform.ts';
import { scratchPostgres } from './bench-database.ts';

const MiB = 1 << 20;
const N = Number(process.env.N ?? 256);
function source(size: number) {
  const block = randomBytes(16 * MiB);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(MiB, size - sent);
      const p = Buffer.from(block.subarray(sent % block.length, (sent % block.length) + n));
      p.writeUInt32BE(sent / MiB, 0);
      sent += n;
      this.push(p);
    },
  });
}
const ticks = async (pid: number, field?: 'user' | 'system') => {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!s) return undefined;
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((field === 'system' ? 0 : Number(f[11])) + (field === 'user' ? 0 : Number(f[12]))) / 100;
};
const db = await scratchPostgres(process.env.DATABASE_URL!);
const env = { ...process.env, DATABASE_URL: db.url, PORT: '0', VAULT_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'dlcpu-')), REGISTRATION: 'open', KDF_MIN_OPS: '1', KDF_MIN_MEM_BYTES: '8192', LOG_LEVEL: 'warn', FILE_MAX_BYTES: String(64 * 1024 ** 3), USER_QUOTA_BYTES: String(512 * 1024 ** 3), MALLOC_MMAP_THRESHOLD_: '131072' };
const proc = spawn(process.execPath, [...(process.env.NODEARGS ?? '--max-semi-space-size=1').split(' ').filter(Boolean), process.env.ENTRY ?? 'dist/server/server.js'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
// With --trace-gc in NODEARGS: the server's full collections per mode.
let markCompacts = 0;
const url = await new Promise<string>((res) => {
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    markCompacts += (d.toString().match(/Mark-Compact/g) ?? []).length;
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m?.[1]) res(m[1]);
  });
});
const KDF = { opsLimit: 1, memLimit: 8192 };
let token = '';
// Mode up-noclone: the part PUTs with redirect 'error' and no window, which spares undici
// cloning the request (a tee of its body, a copy of every part): an experiment for upload.ts.
let noClone = false;
const capture: typeof fetch = async (i, init) => {
  const r = await fetch(i, noClone && init?.method === 'PUT' ? { ...init, redirect: 'error', window: null } : init);
  if (String(i).endsWith('/v1/auth/login') && r.ok) token = ((await r.clone().json()) as { token: string }).token;
  return r;
};
const vault = (await Vault.register({ server: url, handle: `dl-${randomUUID().slice(0, 8)}`, passphrase: 'x', kdf: KDF, kdfFloor: KDF, fetch: capture })).vault;
const { id: recordId } = await vault.createRecord({ title: 'b', narrative: 'b' });
const { fileId } = await vault.attachFile(recordId, source(N * MiB), { name: 'a', type: 'x' });
// The database's backends: every pid seen on the scratch database, CPU summed (a backend that exits keeps what was seen).
const admin = new pg.Client({ connectionString: db.url });
await admin.connect();
const seen = new Map<number, number>();
const backends = async () => {
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
  for (const { pid } of rows) {
    const t = await ticks(pid);
    if (t !== undefined) seen.set(pid, t);
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
};
const raw = new pg.Client({ connectionString: db.url });
await raw.connect();
const client = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const clientSys = () => process.cpuUsage().system / 1e6;
/** bench-files.ts's plain baseline: the same routes, the plaintext cut to the chunk stride, sent as the library sends a part, two in flight. */
async function plainUpload(size: number): Promise<number> {
  const auth = { authorization: `Bearer ${token}` };
  const id = randomUUID();
  const post = (p: string, body: unknown) => fetch(`${url}${p}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!(await post(`/v1/records/${recordId}/files`, { fileId: id, chunkSize: FILE_CHUNK_SIZE, partChunks: PART_CHUNKS, header: 'A'.repeat(32), wrappedKey: 'A'.repeat(140) })).ok) throw new Error('plain create');
  const inflight: Promise<unknown>[] = [];
  let pending: Uint8Array[] = [];
  let [part, chunks, bytes] = [0, 0, 0];
  const send = async (body: Buffer) => {
    if (inflight.length === 2) await inflight.shift();
    const sent = partRequest(body);
    inflight.push(fetch(`${url}/v1/files/${id}/parts/${part++}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream', ...sent.headers }, body: sent.body, duplex: sent.duplex, redirect: 'error', window: null } as RequestInit).then((r) => {
      if (!r.ok) throw new Error(`plain part ${r.status}`);
    }));
  };
  for await (const { chunk } of chunksOf(source(size), FILE_CHUNK_SIZE + CHUNK_OVERHEAD)) {
    pending.push(chunk);
    chunks += 1;
    bytes += chunk.length;
    if (pending.length === PART_CHUNKS) {
      await send(Buffer.concat(pending));
      pending = [];
    }
  }
  if (pending.length) await send(Buffer.concat(pending));
  await Promise.all(inflight);
  if (!(await post(`/v1/files/${id}/complete`, { totalChunks: chunks, encryptedSize: bytes })).ok) throw new Error('plain complete');
  return size;
}
const rows: string[] = [];
for (const mode of (process.env.MODES ?? 'raw,plain,enc,raw,plain,enc,raw,plain,enc').split(',')) {
  const cs0 = clientSys();
  const m0 = markCompacts;
  const [c0, s0, b0, k0, t0] = [client(), (await ticks(proc.pid!))!, await backends(), (await ticks(proc.pid!, 'system'))!, performance.now()];
  let n = 0;
  if (mode === 'plain') {
    const r = await fetch(`${url}/v1/files/${fileId}`, { headers: { authorization: `Bearer ${token}` } });
    for await (const p of Readable.fromWeb(r.body as never)) n += (p as Buffer).length;
  } else if (mode === 'plain-http') {
    // The same download through node:http instead of fetch: what undici's web stream costs the client.
    n = await new Promise<number>((resolve, reject) => {
      http.get(`${url}/v1/files/${fileId}`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        let got = 0;
        res.on('data', (d: Buffer) => (got += d.length)).on('end', () => resolve(got)).on('error', reject);
      }).on('error', reject);
    });
  } else if (mode === 'up' || mode === 'up-noclone') {
    noClone = mode === 'up-noclone';
    await vault.attachFile(recordId, source(N * MiB), { name: 'u', type: 'x' });
    noClone = false;
    n = N * MiB;
  } else if (mode === 'up-plain') {
    n = await plainUpload(N * MiB);
  } else if (mode === 'enc') {
    for await (const p of toNodeReadable(await vault.openFile(recordId, fileId))) n += (p as Buffer).length;
  } else {
    const out = raw.query(copyTo(`copy (select data from file_chunks where file_id = '${fileId}' order by idx) to stdout (format binary)`));
    await pipeline(out, new Writable({ write: (piece: Buffer, _e, done) => ((n += piece.length), done()) }));
  }
  const secs = (performance.now() - t0) / 1000;
  const c1 = client();
  const cs1 = clientSys();
  await new Promise((r) => setTimeout(r, 300));
  const [s1, b1, k1] = [(await ticks(proc.pid!))!, await backends(), (await ticks(proc.pid!, 'system'))!];
  rows.push(`| ${mode} | ${(n / 1e6 / secs).toFixed(0)} | ${secs.toFixed(2)} | ${(c1 - c0).toFixed(2)} (sys ${(cs1 - cs0).toFixed(2)}) | ${(s1 - s0).toFixed(2)} (sys ${(k1 - k0).toFixed(2)}) | ${(b1 - b0).toFixed(2)} | ${(c1 - c0 + s1 - s0 + b1 - b0).toFixed(2)} | ${markCompacts - m0} |`);
}
console.log(`${N} MiB, server ${process.env.ENTRY ?? 'dist/server/server.js'}\n| mode | MB/s | wall s | client CPU s | server CPU s | backends CPU s | total CPU s | server full GCs |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n${rows.join('\n')}`);
await raw.end();
await admin.end();
proc.kill('SIGTERM');
await new Promise((r) => proc.on('exit', r));
await db.drop();
