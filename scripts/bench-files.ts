// npm run bench:files [-- --size-mib 256 --big-mib 2048 --rounds 3]
// Encrypted vs plain transfer through the same server routes and storage, both against raw
// PostgreSQL (the same chunk rows written and read with pg directly: bench-files-raw.ts), peak memory of
// server and client while moving a big file, and the client's encryption speed against
// libsodium's own. The server runs in its own process (DATABASE_URL if set, else embedded),
// started as in production (scripts/start.sh). Experiments:
//   --server-entry server/src/server.ts|dist/server/server.js  run that entry with node (tsx for .ts)
//   --server-node-args='--max-semi-space-size=1 …'              Node flags for it (environment: inherited)
//   --server-log FILE                                            the server's stdout (e.g. --trace-gc)
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Vault, toNodeReadable } from '@testimony-vault/client/node';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { chunksOf } from '../client-lib/src/files/chunker.ts';
import { chunkAd } from '../client-lib/src/files/file-key.ts';
import { partSealer } from '../client-lib/src/files/parts.ts';
import { fileSha256, partRequest, streamEngine } from '../client-lib/src/files/platform.ts';
import { wasmEngine, type SecretStreamEngine } from '../client-lib/src/crypto/secretstream.ts';
import { CHUNK_OVERHEAD, FILE_CHUNK_SIZE, PART_CHUNKS } from '@testimony-vault/protocol';
import { RUN_TS } from '../test/run-ts.ts';
import { openRawDatabase } from './bench-files-raw.ts';
import { scratchPostgres } from './bench-database.ts';

const MiB = 1024 * 1024;
const { values: args } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '256' },
    'big-mib': { type: 'string', default: '2048' },
    child: { type: 'string' },
    server: { type: 'string' },
    'server-entry': { type: 'string' },
    'server-node-args': { type: 'string', default: '' },
    'server-log': { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
const KDF = { opsLimit: 1, memLimit: 8192 };

/** Deterministic pseudo-random bytes without holding them: a random 16 MiB block, re-keyed per block index. */
function source(size: number): Readable {
  const block = randomBytes(16 * MiB);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(MiB, size - sent);
      const off = sent % block.length;
      const piece = Buffer.from(block.subarray(off, off + n));
      piece.writeUInt32BE(sent / MiB, 0); // no two MiB alike
      sent += n;
      this.push(piece);
    },
  });
}

async function session(server: string) {
  const tokens: string[] = [];
  const capture: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (String(input).endsWith('/v1/auth/login') && res.ok) tokens.push(((await res.clone().json()) as { token: string }).token);
    return res;
  };
  const vault = (await Vault.register({ server, handle: `bench-${randomUUID().slice(0, 8)}`, passphrase: 'bench', kdf: KDF, kdfFloor: KDF, fetch: capture })).vault;
  const { id } = await vault.createRecord({ title: 'bench', narrative: 'bench' });
  return { vault, recordId: id, token: tokens[0]! };
}

/** The baseline: the same routes and storage, plaintext bytes cut to the same chunk stride, no crypto, no hashing. */
async function plainUpload(server: string, token: string, recordId: string, size: number): Promise<string> {
  const auth = { authorization: `Bearer ${token}` };
  const fileId = randomUUID();
  const stride = FILE_CHUNK_SIZE + CHUNK_OVERHEAD;
  const create = await fetch(`${server}/v1/records/${recordId}/files`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ fileId, chunkSize: FILE_CHUNK_SIZE, partChunks: PART_CHUNKS, header: 'A'.repeat(32), wrappedKey: 'A'.repeat(140) }),
  });
  if (!create.ok) throw new Error(`plain create: ${create.status} ${await create.text()}`);
  let part = 0;
  let chunks = 0;
  let bytes = 0;
  let pending: Buffer[] = [];
  // Two parts in flight, as attachFile sends them.
  const inflight: Promise<unknown>[] = [];
  const send = async (body: Buffer, n: number) => {
    if (inflight.length === 2) await inflight.shift();
    // As the library sends a part ([Note: a part's request is not cloned], [Note: part bodies
    // in Node]), so the baseline stays comparable.
    const sent = partRequest(body);
    inflight.push(
      fetch(`${server}/v1/files/${fileId}/parts/${n}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream', ...sent.headers }, body: sent.body, ...(sent.duplex ? { duplex: sent.duplex } : {}), redirect: 'error', window: null } as RequestInit).then((r) => {
        if (!r.ok) throw new Error(`plain part: ${r.status}`);
      }),
    );
  };
  // Each chunk is a copy of its own (chunksOf without views), joined once into the part's body.
  for await (const { chunk } of chunksOf(source(size), stride)) {
    pending.push(chunk as Buffer);
    chunks += 1;
    bytes += chunk.length;
    if (pending.length === PART_CHUNKS) {
      await send(Buffer.concat(pending), part++);
      pending = [];
    }
  }
  if (pending.length) await send(Buffer.concat(pending), part++);
  await Promise.all(inflight);
  const done = await fetch(`${server}/v1/files/${fileId}/complete`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ totalChunks: chunks, encryptedSize: bytes }) });
  if (!done.ok) throw new Error(`plain complete: ${done.status} ${await done.text()}`);
  return fileId;
}

async function plainDownload(server: string, token: string, fileId: string): Promise<number> {
  const res = await fetch(`${server}/v1/files/${fileId}`, { headers: { authorization: `Bearer ${token}` } });
  let n = 0;
  for await (const piece of Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream<Uint8Array>)) n += (piece as Uint8Array).length;
  return n;
}

/**
 * Reads a decrypted stream to the end, counting bytes. No hash of its own: openFile checks
 * every chunk's authentication and the plaintext's SHA-256 against the signed manifest, and
 * throws if either differs; a second SHA-256 here charged the encrypted side only.
 */
async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const piece of toNodeReadable(stream)) bytes += (piece as Buffer).length;
  return bytes;
}

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
};

/**
 * Raw client encryption (chunker + SHA-256 + secretstream into part bodies, as attachFile does) vs the same
 * engine's secretstream alone, in memory ([Note: file stream engines]).
 */
async function encryptionSpeed(size: number, chunkSize: number, engine: SecretStreamEngine) {
  const s = await sodiumReady();
  const key = s.crypto_secretstream_xchacha20poly1305_keygen();
  const ad = chunkAd(randomUUID());
  const data = randomBytes(chunkSize);
  const chunks = Math.floor(size / chunkSize);
  const [, bare] = await timed(async () => {
    const { state } = engine.initPush(key);
    for (let i = 0; i < chunks; i++) engine.push(state, data, ad, false);
  });
  const [, client] = await timed(async () => {
    const { state } = engine.initPush(key);
    const h = fileSha256(s); // Node's native SHA-256 here (the Node entry point is imported above)
    async function* src() {
      for (let i = 0; i < chunks; i++) yield data;
    }
    // Sealed into part bodies as attachFile does (partSealer: in place where the engine can).
    const sealer = partSealer(engine, state, ad, chunkSize, PART_CHUNKS);
    let inPart = 0;
    for await (const { chunk, last } of chunksOf(src(), chunkSize)) {
      h.update(chunk);
      sealer.push(chunk, last);
      if (++inPart === PART_CHUNKS || last) {
        sealer.body();
        inPart = 0;
      }
    }
    sealer.dispose();
    h.hex();
  });
  const mb = (chunks * chunkSize) / 1e6;
  return { libsodium: mb / bare, client: mb / client };
}

function procStatusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(s)?.[1] ?? 0) / 1024);
}

/** User + system CPU seconds a process has used (/proc/<pid>/stat; Linux clock ticks are 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The server's peak RSS and CPU time phase by phase. Peak: VmHWM since the last reset, then
 * reset (writing 5 to clear_refs, Linux ≥ 4.0, own processes); a phase run several times
 * keeps its largest peak and adds its CPU time. The whole-run peak is the largest phase.
 */
function phaseTracker(pid: number, databaseCpu: () => Promise<number>) {
  const phases = new Map<string, { peakMiB: number; cpu: number; dbCpu: number; runs: number }>();
  const reset = () => writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => {});
  let cpuAt = 0;
  let dbCpuAt = 0;
  return {
    async start() {
      await reset();
      cpuAt = await cpuSeconds(pid);
      dbCpuAt = await databaseCpu();
    },
    async mark(name: string) {
      const peakMiB = await procStatusMiB(pid, 'VmHWM');
      const cpu = await cpuSeconds(pid);
      const dbCpu = await databaseCpu();
      const p = phases.get(name) ?? { peakMiB: 0, cpu: 0, dbCpu: 0, runs: 0 };
      phases.set(name, { peakMiB: Math.max(p.peakMiB, peakMiB), cpu: p.cpu + cpu - cpuAt, dbCpu: p.dbCpu + dbCpu - dbCpuAt, runs: p.runs + 1 });
      await this.start();
    },
    phases,
    peak: () => Math.max(...[...phases.values()].map((p) => p.peakMiB)),
  };
}

/** Child mode: move one big file up and down, report this process's peak RSS. */
async function child(server: string, mib: number) {
  const { vault, recordId } = await session(server);
  const size = mib * MiB;
  const [{ fileId }, up] = await timed(() => vault.attachFile(recordId, source(size), { name: 'big.mp4', type: 'video/mp4' }));
  const [got, down] = await timed(async () => drain(await vault.openFile(recordId, fileId)));
  if (got !== size) throw new Error('big file size mismatch');
  console.log(JSON.stringify({ up: size / 1e6 / up, down: size / 1e6 / down, rssMiB: process.resourceUsage().maxRSS / 1024 }));
}

/** A database of its own on the PostgreSQL of DATABASE_URL, dropped afterwards (none when embedded). */
async function benchDatabase(): Promise<{ url: string | undefined; drop: () => Promise<void> }> {
  const admin = process.env.DATABASE_URL;
  return admin ? scratchPostgres(admin) : { url: undefined, drop: async () => {} };
}

async function startServer(): Promise<{ url: string; pid: number; stop: () => Promise<void>; kind: string; command: string; databaseUrl: string | undefined }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tvault-bench-'));
  const database = await benchDatabase();
  const env = { ...process.env, ...(database.url ? { DATABASE_URL: database.url } : {}), PORT: '0', VAULT_DATA_DIR: dataDir, REGISTRATION: 'open', KDF_MIN_OPS: '1', KDF_MIN_MEM_BYTES: '8192', LOG_LEVEL: 'warn', FILE_MAX_BYTES: String(64 * 1024 ** 3), USER_QUOTA_BYTES: String(512 * 1024 ** 3) };
  // The production start (scripts/start.sh: compile, then exec node with its memory settings,
  // so the pid is the server's), unless an experiment names an entry point and Node flags.
  const entry = args['server-entry'];
  const command = entry
    ? [process.execPath, ...args['server-node-args']!.split(' ').filter(Boolean), ...(entry.endsWith('.ts') ? RUN_TS : []), entry]
    : ['sh', 'scripts/start.sh'];
  const proc = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] });
  if (args['server-log']) proc.stdout.pipe(createWriteStream(args['server-log']));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return {
    url,
    databaseUrl: database.url,
    pid: proc.pid!,
    kind: process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded (PGlite)',
    command: command.join(' ').replace(process.execPath, 'node'),
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
      await rm(dataDir, { recursive: true, force: true });
      await database.drop();
    },
  };
}

if (args.child) {
  await child(args.server!, Number(args.child));
} else {
  const sizeMiB = Number(args['size-mib']);
  const bigMiB = Number(args['big-mib']);
  const size = sizeMiB * MiB;
  const rounds = Number(args.rounds);
  const server = await startServer();
  const raw = await openRawDatabase(server.databaseUrl);
  const phases = phaseTracker(server.pid, () => raw.backendsCpuSeconds());
  try {
    const idle = await procStatusMiB(server.pid, 'VmRSS');
    await phases.mark('start-up');
    const { vault, recordId, token } = await session(server.url);
    // Warm-up (JIT, connections), not measured.
    await plainUpload(server.url, token, recordId, 16 * MiB);
    await vault.attachFile(recordId, source(16 * MiB), { name: 'warm', type: 'x' });
    await phases.mark('warm-up');

    // Each measure is taken `rounds` times, plain and encrypted alternating, and the best of
    // each kept: the client, the server and PostgreSQL share the machine's cores, and one
    // slow moment on one side would otherwise decide a ratio.
    /** Encrypted/plain upload of each round, the two uploads next to each other. */
    const perRound: number[] = [];
    const best = { plainUp: Infinity, encUp: Infinity, plainDown: Infinity, encDown: Infinity, rawDown: Infinity };
    const rawUp = new Map<string, number>();
    await raw.uploads['INSERT per chunk']!(source(16 * MiB));
    for (let round = 0; round < rounds; round++) {
      let rawFileId = '';
      for (const [method, upload] of Object.entries(raw.uploads)) {
        const [{ fileId, bytes }, secs] = await timed(() => upload(source(size)));
        if (bytes !== size) throw new Error('raw upload size mismatch');
        rawUp.set(method, Math.min(rawUp.get(method) ?? Infinity, secs));
        rawFileId = fileId;
      }
      const [rawBytes, rawDown] = await timed(() => raw.download(rawFileId));
      if (rawBytes < size) throw new Error('raw download size mismatch');
      best.rawDown = Math.min(best.rawDown, rawDown);
      await phases.mark('raw database baseline (server idle)');
      // Which upload goes first alternates: the second one meets the database's flushing of
      // the first one's writes (PostgreSQL's checkpoints), and that should not fall on one side.
      const uploadPlain = async () => {
        const r = await timed(() => plainUpload(server.url, token, recordId, size));
        await phases.mark(`plain upload ${sizeMiB} MiB`);
        return r;
      };
      const uploadEncrypted = async () => {
        const r = await timed(() => vault.attachFile(recordId, source(size), { name: 'bench.bin', type: 'application/octet-stream' }));
        await phases.mark(`encrypted upload ${sizeMiB} MiB`);
        return r;
      };
      const first = round % 2 === 1 ? await uploadEncrypted() : undefined;
      const [plainId, plainUp] = await uploadPlain();
      const [enc, encUp] = first ?? (await uploadEncrypted());
      const [plainBytes, plainDown] = await timed(() => plainDownload(server.url, token, plainId));
      await phases.mark(`plain download ${sizeMiB} MiB`);
      const [got, encDown] = await timed(async () => drain(await vault.openFile(recordId, enc.fileId)));
      await phases.mark(`encrypted download ${sizeMiB} MiB`);
      if (got !== size || plainBytes < size) throw new Error('round trip mismatch');
      best.plainUp = Math.min(best.plainUp, plainUp);
      best.encUp = Math.min(best.encUp, encUp);
      perRound.push(plainUp / encUp);
      best.plainDown = Math.min(best.plainDown, plainDown);
      best.encDown = Math.min(best.encDown, encDown);
    }
    const { plainUp, encUp, plainDown, encDown, rawDown } = best;
    // The raw baseline is the fastest way found to write the rows, whichever it is.
    const [rawMethod, rawUpSecs] = [...rawUp.entries()].sort((a, b) => a[1] - b[1])[0]!;
    const engine = streamEngine(await sodiumReady());
    const wasm = wasmEngine(await sodiumReady());
    const speed = await encryptionSpeed(size, FILE_CHUNK_SIZE, engine);
    const sweep: [string, number, { libsodium: number; client: number }][] = [];
    for (const e of engine === wasm || engine.name === wasm.name ? [engine] : [engine, wasm]) {
      for (const kib of [64, 256, 1024, 4096]) sweep.push([e.name, kib, await encryptionSpeed(Math.min(size, 256 * MiB), kib * 1024, e)]);
    }

    await phases.start();
    const big = await new Promise<{ up: number; down: number; rssMiB: number }>((resolve, reject) => {
      const c = spawn(process.execPath, [...RUN_TS, 'scripts/bench-files.ts', '--child', String(bigMiB), '--server', server.url], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d));
      c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`child exited ${code}`))));
    });
    await phases.mark(`${bigMiB} MiB up and down (encrypted)`);
    const serverPeak = phases.peak();

    const mbps = (secs: number) => (size / 1e6 / secs).toFixed(1);
    const rows: [string, string, string, string][] = [
      [`upload ${sizeMiB} MiB (MB/s)`, mbps(encUp), mbps(plainUp), (plainUp / encUp).toFixed(2)],
      [`download ${sizeMiB} MiB (MB/s)`, mbps(encDown), mbps(plainDown), (plainDown / encDown).toFixed(2)],
      [`encrypt in client, ${FILE_CHUNK_SIZE / MiB} MiB chunks, ${engine.name} (MB/s)`, speed.client.toFixed(1), `${speed.libsodium.toFixed(1)} (libsodium alone)`, (speed.client / speed.libsodium).toFixed(2)],
    ];
    console.log(`\nFiles benchmark — database: ${server.kind}; chunk ${FILE_CHUNK_SIZE / MiB} MiB, ${PART_CHUNKS} chunks per part; best of ${rounds} rounds; ${new Date().toISOString()}\n`);
    console.log('| measure | encrypted | plain baseline | ratio |\n| --- | ---: | ---: | ---: |');
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
    const sorted = [...perRound].sort((a, b) => a - b);
    console.log(`\nUpload, encrypted/plain in each round (the two uploads one after the other, which first alternating): ${perRound.map((r) => r.toFixed(2)).join(', ')}; median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)}`);
    console.log(`\nAgainst raw PostgreSQL (${raw.kind}; the same rows with pg, no HTTP: upload by ${rawMethod}, download by one binary COPY):\n`);
    console.log('| measure | raw database (MB/s) | plain / raw | encrypted / raw |\n| --- | ---: | ---: | ---: |');
    console.log(`| upload ${sizeMiB} MiB | ${mbps(rawUpSecs)} | **${(rawUpSecs / plainUp).toFixed(2)}** | **${(rawUpSecs / encUp).toFixed(2)}** |`);
    console.log(`| download ${sizeMiB} MiB | ${mbps(rawDown)} | **${(rawDown / plainDown).toFixed(2)}** | **${(rawDown / encDown).toFixed(2)}** |`);
    for (const [method, secs] of rawUp) console.log(`| raw upload by ${method} | ${mbps(secs)} | | |`);
    console.log('\n| engine | chunk size | client encrypt (MB/s) | libsodium alone (MB/s) |\n| --- | --- | ---: | ---: |');
    for (const [name, kib, sp] of sweep) console.log(`| ${name} | ${kib} KiB | ${sp.client.toFixed(1)} | ${sp.libsodium.toFixed(1)} |`);
    console.log(`\n| moving a ${bigMiB} MiB file | value |\n| --- | ---: |`);
    console.log(`| upload, encrypted (MB/s) | ${big.up.toFixed(1)} |`);
    console.log(`| download, decrypted (MB/s) | ${big.down.toFixed(1)} |`);
    console.log(`| client peak RSS (MiB) | ${big.rssMiB.toFixed(0)} |`);
    console.log(`| server peak RSS over the whole run (MiB) | ${serverPeak.toFixed(0)} |`);
    console.log(`\nServer \`${server.command}\`: ${idle.toFixed(0)} MiB resident after start-up.\n`);
    console.log('| server, by phase | peak RSS (MiB) | server CPU (s) | database backends CPU (s) |\n| --- | ---: | ---: | ---: |');
    for (const [name, p] of phases.phases) console.log(`| ${name}${p.runs > 1 ? ` (×${p.runs})` : ''} | ${p.peakMiB.toFixed(0)} | ${p.cpu.toFixed(1)} | ${server.databaseUrl ? p.dbCpu.toFixed(1) : 'in the server'} |`);
  } finally {
    await raw.close();
    await server.stop();
  }
}
