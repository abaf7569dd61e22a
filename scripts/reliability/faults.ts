// npm run reliability:faults [-- --port 55432 --mode fast|immediate --down 0 --writers 4 --before 3 --after 5 --json]
// A real PostgreSQL restart under load (docs/RELIABILITY.md "Faults"). Makes a throwaway
// cluster of its own (initdb in a temporary folder, as the postgres user when run as root,
// on --port, never 5432: the machine's shared PostgreSQL is not touched), starts the vault
// server on it in its own process, drives the write load of [Note: write load] plus one
// large upload, runs `pg_ctl restart -m fast` in the middle (or --mode immediate: a crash
// and WAL recovery; --down N: stopped for N seconds, then started), and reports what the server
// and the clients saw: the not-ready window, every answer during it, and whether every
// acknowledged write is in the database. Removes the cluster at the end.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify, parseArgs } from 'node:util';
import { sql } from 'kysely';
import { Vault, toNodeReadable } from '@testimony-vault/client/node';
import { kyselyFor } from '../../server/src/db/connect.ts';
import { checkStored, startLoad } from './write-load.ts';
import { RUN_TS } from '../../test/run-ts.ts';

const run = promisify(execFile);
const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '55432' },
    'pg-bin': { type: 'string', default: '/usr/lib/postgresql/15/bin' },
    writers: { type: 'string', default: '4' },
    before: { type: 'string', default: '3' },
    after: { type: 'string', default: '5' },
    'upload-mib': { type: 'string', default: '48' },
    // fast: clean shutdown (sessions ended with 57P01); immediate: PostgreSQL quits without a checkpoint and recovers from its WAL.
    mode: { type: 'string', default: 'fast' },
    down: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const port = Number(args.port);
if (!Number.isInteger(port) || port === 5432 || port < 1024) throw new Error('--port must be a free port other than 5432 (the shared PostgreSQL)');
if (args.mode !== 'fast' && args.mode !== 'immediate') throw new Error('--mode is fast or immediate');
const KDF = { opsLimit: 1, memLimit: 8192 };
const root = path.resolve(import.meta.dirname, '../..');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => {
  if (!args.json) console.log(line);
};

/** Consecutive /ready answers alike, as "503 VAULT_ERR_NOT_READY ×12 from +36 to +446 ms (slowest 61 ms)". */
function runs(probes: { at: number; ms: number; status: number | string; code: string | undefined }[], origin: number): string[] {
  const out: { answer: string; from: number; to: number; count: number; slowest: number }[] = [];
  for (const p of probes) {
    const answer = `${p.status}${p.code ? ` ${p.code}` : ''}`;
    const last = out.at(-1);
    if (last?.answer === answer) Object.assign(last, { to: p.at - origin, count: last.count + 1, slowest: Math.max(last.slowest, p.ms) });
    else out.push({ answer, from: p.at - origin, to: p.at - origin, count: 1, slowest: p.ms });
  }
  return out.map((r) => `${r.answer} ×${r.count} from ${r.from >= 0 ? '+' : ''}${r.from} to ${r.to >= 0 ? '+' : ''}${r.to} ms (slowest ${r.slowest} ms)`);
}

// ---------------------------------------------------------------- the throwaway cluster

const asRoot = process.getuid?.() === 0;
/** Runs a PostgreSQL program, as the postgres user when this runs as root (initdb refuses root). */
async function pg(program: string, ...argv: string[]) {
  const bin = path.join(args['pg-bin'], program);
  return asRoot ? run('runuser', ['-u', 'postgres', '--', bin, ...argv]) : run(bin, argv);
}

const cluster = await mkdtemp(path.join(tmpdir(), 'tvault-pg-'));
if (asRoot) {
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  await chown(cluster, uid, gid);
}
const pgdata = path.join(cluster, 'data');
const serverOptions = `-p ${port} -k /tmp -c listen_addresses=127.0.0.1`;
await pg('initdb', '-D', pgdata, '-A', 'trust', '-U', 'postgres', '--no-sync');
await pg('pg_ctl', '-D', pgdata, '-o', serverOptions, '-l', path.join(cluster, 'postgres.log'), '-w', 'start');
const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
const dbUrl = `postgres://postgres@127.0.0.1:${port}/vault`;

let vaultServer: ReturnType<typeof spawn> | undefined;
async function cleanUp() {
  if (vaultServer && vaultServer.exitCode === null) {
    vaultServer.kill('SIGTERM');
    await new Promise((r) => vaultServer!.once('exit', r));
  }
  await pg('pg_ctl', '-D', pgdata, '-m', 'fast', '-w', 'stop').catch(() => {});
  await rm(cluster, { recursive: true, force: true });
}

try {
  const admin = kyselyFor(adminUrl, 1);
  await sql`create database vault`.execute(admin);
  await admin.destroy();

  // ---------------------------------------------------------------- the vault server
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl,
    PORT: '0',
    REGISTRATION: 'open',
    KDF_MIN_OPS: String(KDF.opsLimit),
    KDF_MIN_MEM_BYTES: String(KDF.memLimit),
    AUTH_RATE_LIMIT_MAX: '100000',
    AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, [...RUN_TS, 'server/src/server.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  vaultServer = child;
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /testimony-vault listening on (http:\/\/\S+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  say(`cluster on port ${port} (${pgdata}); vault server pid ${child.pid} at ${url}`);

  // ---------------------------------------------------------------- load, then the restart
  let n = 0;
  const handle = (prefix: string) => `${prefix}${++n}-${randomBytes(3).toString('hex')}`;
  const load = await startLoad({ server: url, writers: Number(args.writers), handle, kdf: KDF });
  const { vault: owner } = await Vault.register({ server: url, handle: handle('owner'), passphrase: 'p', kdf: KDF, kdfFloor: KDF });
  const { id: recordId } = await owner.createRecord({ title: 'evidence', narrative: 'uploaded through a restart' });
  const file = randomBytes(Number(args['upload-mib']) * 1024 * 1024);
  const uploadStarted = Date.now();
  const upload = owner.attachFile(recordId, file, { name: 'video.mp4', type: 'video/mp4', chunkSize: 64 * 1024, maxRetries: 12 }).then(
    (r) => ({ ok: true as const, fileId: r.fileId, ms: Date.now() - uploadStarted }),
    (err: unknown) => ({ ok: false as const, err }),
  );

  await pause(Number(args.before) * 1000);
  const checkpointBefore = await owner.auditCheckpoint();
  const restartFrom = Date.now();
  const log = path.join(cluster, 'postgres.log');
  if (Number(args.down) > 0) {
    await pg('pg_ctl', '-D', pgdata, '-m', args.mode, '-w', 'stop');
    await pause(Number(args.down) * 1000);
    await pg('pg_ctl', '-D', pgdata, '-o', serverOptions, '-l', log, '-w', 'start');
  } else {
    await pg('pg_ctl', '-D', pgdata, '-o', serverOptions, '-l', log, '-m', args.mode, '-w', 'restart');
  }
  const restartTo = Date.now();
  let readyAgain: number | undefined;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await pause(50)) {
    // The first 200 after the first refusal (PostgreSQL may accept again before pg_ctl returns).
    const firstDown = load.ready.find((r) => r.at >= restartFrom && r.status !== 200);
    readyAgain = load.ready.find((r) => r.at > (firstDown?.at ?? restartTo) && r.status === 200)?.at;
    if (readyAgain) break;
  }
  await pause(Number(args.after) * 1000);
  await load.stop();
  const uploaded = await upload;

  // ---------------------------------------------------------------- what happened
  const window = { from: restartFrom, to: readyAgain ?? Date.now() };
  const during = load.exchanges.filter((e) => e.start + e.ms >= window.from && e.start <= window.to);
  const answers: Record<string, number> = {};
  for (const e of during) answers[`${e.status} ${e.code ?? ''}`.trim()] = (answers[`${e.status} ${e.code ?? ''}`.trim()] ?? 0) + 1;
  const probes = load.ready.filter((r) => r.at >= window.from - 200 && r.at <= window.to + 200);
  const notReady = load.ready.filter((r) => r.at >= restartFrom - 1000 && r.status !== 200);
  const failures: Record<string, number> = {};
  for (const f of load.failures) {
    const key = f instanceof Error ? `${f.name} ${(f as { code?: string }).code ?? ''}`.trim() : String(f);
    failures[key] = (failures[key] ?? 0) + 1;
  }
  const direct = kyselyFor(dbUrl, 2);
  const stored = await checkStored(direct, load);
  await direct.destroy();

  let uploadResult: string;
  if (!uploaded.ok) uploadResult = `failed: ${String(uploaded.err)}`;
  else {
    const back = createHash('sha256');
    for await (const p of toNodeReadable(await owner.openFile(recordId, uploaded.fileId))) back.update(p as Buffer);
    const same = back.digest('hex') === createHash('sha256').update(file).digest('hex');
    uploadResult = `${same ? 'byte-identical' : 'DIFFERENT'} after ${uploaded.ms} ms`;
  }
  let consistency: string;
  try {
    const after = await owner.auditCheckpoint();
    consistency = `checkpoint ${after.size} consistent with ${checkpointBefore.size} verified before the restart`;
  } catch (err) {
    consistency = `FAILED: ${String(err)}`;
  }
  const serverErrors = output.split('\n').filter((l) => /"level":(50|60)/.test(l)).length;

  const report = {
    date: new Date().toISOString(),
    mode: args.mode,
    downSeconds: Number(args.down),
    pgCtlRestartMs: restartTo - restartFrom,
    notReadyMs: readyAgain ? readyAgain - restartFrom : null,
    firstNotReadyAfterMs: notReady[0] ? notReady[0].at - restartFrom : null,
    readyProbes: runs(probes, restartFrom),
    requestsInWindow: during.length,
    answersInWindow: answers,
    slowestInWindowMs: Math.max(0, ...during.map((e) => e.ms)),
    slowestOverallMs: Math.max(0, ...load.exchanges.map((e) => e.ms)),
    clientErrors: failures,
    versionsAcknowledged: load.ackedCount(),
    acknowledgedButLost: stored.lost.length,
    strayVersions: stored.stray.length,
    recordsWithGaps: stored.gaps.length,
    committedWithoutAcknowledgement: stored.unacknowledged,
    upload: uploadResult,
    audit: consistency,
    serverStillRunning: child.exitCode === null,
    serverErrorLogLines: serverErrors,
  };
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else {
    say(`pg_ctl ${Number(args.down) > 0 ? `stop -m ${args.mode}, ${args.down} s down, start` : `restart -m ${args.mode}`} took ${report.pgCtlRestartMs} ms; /ready 200 again ${report.notReadyMs ?? 'never'} ms after the restart began`);
    say(`/ready around the restart: ${report.readyProbes.join('; ')}`);
    say(`${report.requestsInWindow} requests in that window: ${JSON.stringify(report.answersInWindow)}; slowest ${report.slowestInWindowMs} ms`);
    say(`client errors: ${JSON.stringify(report.clientErrors)}`);
    say(`versions acknowledged ${report.versionsAcknowledged}; lost ${report.acknowledgedButLost}; stray ${report.strayVersions}; gaps ${report.recordsWithGaps}; committed unacknowledged ${report.committedWithoutAcknowledgement}`);
    say(`upload of ${args['upload-mib']} MiB through the restart: ${report.upload}`);
    say(`audit: ${report.audit}`);
    say(`server process still running: ${report.serverStillRunning}; error lines in its log: ${report.serverErrorLogLines}`);
  }
  const ok = report.acknowledgedButLost === 0 && report.strayVersions === 0 && report.recordsWithGaps === 0 && report.serverStillRunning && readyAgain !== undefined && !report.audit.startsWith('FAILED') && report.upload.startsWith('byte-identical');
  process.exitCode = ok ? 0 : 1;
} finally {
  await cleanUp();
}
