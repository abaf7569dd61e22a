import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { sql } from 'kysely';
import { kyselyFor } from '../server/src/db/connect.ts';
import { testCertificate } from './tls.ts';
import { freePort } from './vault-process.ts';

// [Note: deployment without a container engine]
// `docker compose up`, reproduced outside a container (no Docker engine on these machines,
// and no registry to pull node:20-bookworm-slim or postgres:16 from): the runtime stage of
// the Dockerfile laid out in a temporary folder as /app (the compiled server, the web
// client's build, node_modules, the data folder made as the Dockerfile makes it), the server
// run as the image's user (uid 1000, `node` in the node images) with only the environment
// the image and docker-compose.yml give it, against the local PostgreSQL (a throwaway role
// and database standing for compose's `db` service). The values come from the Dockerfile and
// docker-compose.yml themselves, so a change there is what this test runs. Paths under /app
// are moved into the temporary folder and PORT is a free one; everything else is as written.
//
// What it checks: start-up as that user with the data folder as the image makes it (with a
// root-owned one, as before, it stops on EACCES); the audit log key created there, owned by
// the user, mode 0600, and the same after a restart (the `vaultdata` volume); /ready and the
// health check command; the migration command; the password handed to PostgreSQL exactly as
// POSTGRES_PASSWORD holds it, with / + @ : # % in it (a fake PostgreSQL that asks for it in
// clear text: the local one trusts every local connection and would check nothing); and that
// compose refuses to start without POSTGRES_PASSWORD or AUDIT_LOG_ORIGIN.
//
// Needs root (to hand the data folder to another user and run the server as that user) and a
// PostgreSQL (DATABASE_URL, or postgres@127.0.0.1:5432). CI runs as root.

const root = path.resolve(import.meta.dirname, '..');
const IMAGE_UID = 1000; // `node` in the official node images (USER node)
const IMAGE_GID = 1000;
const PASSWORD = `p/a+s@s:w#rd%2F ${randomBytes(4).toString('hex')}`;

// ---- The Dockerfile's runtime stage and docker-compose.yml, read as values ----

const dockerfile = await readFile(path.join(root, 'Dockerfile'), 'utf8');
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
const dockerLines = runtime.replace(/\\\n/g, ' ').split('\n');
const instruction = (name: string) => dockerLines.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

/** ENV lines of the runtime stage: KEY=value pairs (no quoting is used there). */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of instruction('ENV')) for (const pair of line.split(/\s+/)) env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
  return env;
}

const compose = await readFile(path.join(root, 'docker-compose.yml'), 'utf8');

/** A mapping under `services.<service>.<key>:` of docker-compose.yml (this file's plain style). */
function composeMapping(service: string, key: string): Record<string, string> {
  const lines = compose.split('\n');
  const s = lines.indexOf(`  ${service}:`);
  const k = lines.findIndex((l, i) => i > s && l === `    ${key}:`);
  if (s < 0 || k < 0) throw new Error(`docker-compose.yml has no services.${service}.${key}`);
  const out: Record<string, string> = {};
  for (const line of lines.slice(k + 1)) {
    if (/^ {6}#/.test(line)) continue;
    const m = /^ {6}([A-Za-z_][A-Za-z0-9_]*): (.*)$/.exec(line);
    if (!m) break;
    out[m[1]!] = m[2]!.trim();
  }
  return out;
}

/** Compose's interpolation of ${VAR}, ${VAR:-default} and ${VAR:?message}; throws as compose refuses. */
function interpolate(value: string, shell: Record<string, string | undefined>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const v = shell[name];
    if (v !== undefined && v !== '') return v;
    if (op === '?') throw new Error(`required variable ${name} is missing a value: ${arg}`);
    return op === '-' ? arg! : '';
  });
}

function composeEnv(shell: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(composeMapping('server', 'environment')).map(([k, v]) => [k, interpolate(v, shell)]));
}

// ---- Preconditions ----

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
async function postgresAnswers(): Promise<boolean> {
  const db = kyselyFor(adminUrl, 1, 3000);
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  } finally {
    await db.destroy();
  }
}

if (process.getuid?.() !== 0) {
  t.comment('deployment test SKIPPED: it needs root, to give the data folder to the image user (uid 1000) and run the server as that user; CI runs as root');
  t.pass('skipped: not root');
} else if (!(await postgresAnswers())) {
  t.comment(`deployment test SKIPPED: no PostgreSQL answers at ${new URL(adminUrl).host} (set DATABASE_URL)`);
  t.pass('skipped: no PostgreSQL');
} else {
  await run();
}

// ---- The test ----

/** A PostgreSQL that asks for the password in clear text, keeps it, and hangs up. */
async function passwordCatcher(): Promise<{ port: number; password: Promise<string>; close(): void }> {
  let resolve!: (p: string) => void;
  const password = new Promise<string>((r) => (resolve = r));
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    let started = false;
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!started && buf.length >= 4 && buf.length >= buf.readInt32BE(0)) {
        started = true;
        buf = buf.subarray(buf.readInt32BE(0));
        const ask = Buffer.alloc(9);
        ask.write('R', 0);
        ask.writeInt32BE(8, 1);
        ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword
        socket.write(ask);
      }
      if (started && buf.length >= 5 && buf[0] === 0x70 && buf.length >= 1 + buf.readInt32BE(1)) {
        resolve(buf.subarray(5, 1 + buf.readInt32BE(1) - 1).toString('utf8'));
        socket.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, password, close: () => server.close() };
}

async function run(): Promise<void> {
  const env0 = imageEnv();
  const workdir = instruction('WORKDIR').at(-1)!;
  const user = instruction('USER').at(-1);
  const cmd = JSON.parse(instruction('CMD').at(-1)!) as string[];
  const healthcheck = /CMD (node -e "(.*)")$/.exec(instruction('HEALTHCHECK').at(-1) ?? '');
  const migrateCommand = /`docker compose exec server (node [^`]+)`/.exec(dockerfile)?.[1];
  const dataDir = env0.VAULT_DATA_DIR!;

  t.test('the image and compose files say what the deployment needs', async (t) => {
    t.equal(user, 'node', 'the image runs as node, not root');
    t.equal(workdir, '/app');
    t.ok(dataDir?.startsWith(`${workdir}/`), `VAULT_DATA_DIR (${dataDir}) is inside the app folder`);
    t.match(runtime, new RegExp(`RUN mkdir -m 0700 ${dataDir} && chown node:node ${dataDir}\\n`), 'the runtime stage makes VAULT_DATA_DIR, owned by node, mode 0700, before USER node');
    t.ok(runtime.indexOf('chown node:node') < runtime.indexOf('USER node'), 'as root, before USER node');
    t.match(compose, new RegExp(`- vaultdata:${dataDir}\\n`), 'the server keeps VAULT_DATA_DIR (the log key) in a named volume');
    t.match(compose, /\nvolumes:\n {2}pgdata:\n {2}vaultdata:\n/, 'both volumes are declared');
    t.ok(healthcheck, 'the image has a health check');
    t.match(composeMapping('server', 'healthcheck').test, /\/ready/, 'compose checks the server through /ready');
    t.same(JSON.parse(composeMapping('server', 'healthcheck').test!), ['CMD', 'node', '-e', healthcheck?.[2]], 'with the image’s own health check command (tested below, over HTTP and HTTPS)');
    t.match(composeMapping('db', 'healthcheck').test, /pg_isready/, 'and the database with pg_isready');
    t.equal(migrateCommand, 'node dist/server/migrate.js');

    const shell = { POSTGRES_PASSWORD: PASSWORD, AUDIT_LOG_ORIGIN: 'vault.example.org/audit-log' };
    const env = composeEnv(shell);
    const url = new URL(env.DATABASE_URL!);
    t.equal(url.password, '', 'no password in DATABASE_URL');
    t.equal(env.PGPASSWORD, PASSWORD, 'PGPASSWORD is POSTGRES_PASSWORD as it is');
    t.equal(interpolate(composeMapping('db', 'environment').POSTGRES_PASSWORD!, shell), PASSWORD, 'the same password for the database');
    t.equal(env.AUDIT_LOG_ORIGIN, 'vault.example.org/audit-log');

    for (const missing of ['POSTGRES_PASSWORD', 'AUDIT_LOG_ORIGIN']) {
      const without = { ...shell, [missing]: undefined };
      t.throws(() => composeEnv(without), new RegExp(`required variable ${missing} is missing a value: set ${missing}`), `compose refuses to start without ${missing}, saying so`);
    }
    t.throws(() => interpolate(composeMapping('db', 'environment').POSTGRES_PASSWORD!, {}), /POSTGRES_PASSWORD/, 'no default password for the database');
  });

  t.test('the health check gives up by itself on a server that accepts and never answers', async (t) => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise((r) => silent.close(r)));
    const port = (silent.address() as net.AddressInfo).port;
    for (const env of [{}, { TLS_CERT_FILE: '/app/cert.pem' }]) {
      const started = Date.now();
      const health = spawnSync(process.execPath, ['-e', healthcheck![2]!], { env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env }, timeout: 10_000 });
      const took = Date.now() - started;
      // Without a deadline of its own it would wait until spawnSync's 10 s kill (status null).
      t.equal(health.status, 1, `it gives up by itself, failing (${env.TLS_CERT_FILE ? 'HTTPS' : 'HTTP'}, ${took} ms)`);
    }
    t.match(healthcheck?.[2], /^setTimeout\(\(\)=>process\.exit\(1\),2000\);/, 'after 2 s');
    t.match(instruction('HEALTHCHECK').at(-1), /--timeout=3s/, 'less than Docker’s 3 s');
  });

  t.test('the image run as its user against PostgreSQL: starts, migrates, keeps its log key across a restart', async (t) => {
    // /app, as the runtime stage builds it: root-owned and world-readable (COPY), the data
    // folder made by the RUN line.
    const base = await mkdtemp(path.join(tmpdir(), 'tvault-image-'));
    t.teardown(() => rm(base, { recursive: true, force: true }));
    await chmod(base, 0o755);
    const app = path.join(base, workdir.replace(/^\//, ''));
    const inApp = (p: string) => path.join(app, path.relative(workdir, p));
    if (!existsSync(path.join(root, 'dist/server/server.js'))) {
      spawnSync(process.execPath, ['scripts/build.mjs', 'server'], { cwd: root, stdio: 'inherit' });
    }
    await mkdir(app, { recursive: true });
    await cp(path.join(root, 'dist/server'), path.join(app, 'dist/server'), { recursive: true });
    if (existsSync(path.join(root, 'web/dist'))) await cp(path.join(root, 'web/dist'), path.join(app, 'web/dist'), { recursive: true });
    await cp(path.join(root, 'package.json'), path.join(app, 'package.json'));
    // `npm ci --omit=dev` in the image; the repository's (a superset) here.
    await symlink(path.join(root, 'node_modules'), path.join(app, 'node_modules'));
    const data = inApp(dataDir);

    // compose's `db`: a role with the password and a database of its own.
    const role = `tv_deploy_${randomBytes(5).toString('hex')}`;
    const admin = kyselyFor(adminUrl, 1);
    await sql`create role ${sql.id(role)} login password ${sql.lit(PASSWORD)}`.execute(admin);
    await sql`create database ${sql.id(role)} owner ${sql.id(role)}`.execute(admin);
    t.teardown(async () => {
      await sql`drop database if exists ${sql.id(role)} with (force)`.execute(admin);
      await sql`drop role if exists ${sql.id(role)}`.execute(admin);
      await admin.destroy();
    });

    // The container's environment: the image's ENV, then compose's; `db:5432` and the role
    // name become the local PostgreSQL and the throwaway role. Nothing else is inherited.
    const origin = `deploy-test-${role}.example.org/audit-log`;
    const local = new URL(adminUrl);
    const containerEnv = (port: number, databaseHost = local.host) => {
      const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/node', ...env0, ...composeEnv({ POSTGRES_PASSWORD: PASSWORD, AUDIT_LOG_ORIGIN: origin }) };
      const url = new URL(env.DATABASE_URL!);
      if (url.host !== 'db:5432') throw new Error(`compose's DATABASE_URL no longer points at db:5432: ${url.host}`);
      url.host = databaseHost;
      url.username = role;
      url.pathname = `/${role}`;
      env.DATABASE_URL = url.toString();
      env.VAULT_DATA_DIR = inApp(env.VAULT_DATA_DIR!);
      env.PORT = String(port);
      return env;
    };
    const asImageUser = { uid: IMAGE_UID, gid: IMAGE_GID, cwd: app };
    // `env -i`: the container's environment and nothing else (not even what tap adds to
    // NODE_OPTIONS in every child it sees spawned).
    const inContainer = (command: string[], env: Record<string, string>): [string, string[]] => [
      'env',
      ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...(command[0] === 'node' ? [process.execPath, ...command.slice(1)] : command)],
    ];

    function start(port: number, extra: Record<string, string> = {}) {
      const child = spawn(...inContainer(cmd, { ...containerEnv(port), ...extra }), { ...asImageUser, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d));
      child.stderr.on('data', (d: Buffer) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      t.teardown(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        return exited;
      });
      const listening = new Promise<string>((resolve, reject) => {
        child.stdout.on('data', () => {
          if (/testimony-vault listening on/.test(output)) resolve(`http://127.0.0.1:${port}`);
        });
        void exited.then((code) => reject(new Error(`server exited with ${code}: ${output}`)));
      });
      return { child, exited, listening, output: () => output };
    }

    // Before: a data folder as the image used to leave it (root's, /app belongs to root).
    await mkdir(data, { mode: 0o755 });
    const before = start(await freePort());
    await t.rejects(before.listening, { message: /EACCES/ }, 'with a root-owned data folder the server stops on EACCES (the bug)');
    await rm(data, { recursive: true });

    // The Dockerfile's RUN line: mkdir -m 0700, chown node:node.
    await mkdir(data, { mode: 0o700 });
    await chmod(data, 0o700);
    await chown(data, IMAGE_UID, IMAGE_GID);

    // The migration command, as `docker compose exec server node dist/server/migrate.js`.
    const migrated = spawnSync(...inContainer(migrateCommand!.split(' '), containerEnv(0)), { ...asImageUser, encoding: 'utf8' });
    t.equal(migrated.status, 0, `the migration command succeeds: ${migrated.stderr}`);
    t.match(migrated.stdout, /Success|schema is up to date/);

    // The password reaches PostgreSQL as it is.
    const catcher = await passwordCatcher();
    t.teardown(() => catcher.close());
    const probe = spawn(...inContainer(migrateCommand!.split(' '), containerEnv(0, `127.0.0.1:${catcher.port}`)), { ...asImageUser, stdio: 'ignore' });
    t.equal(await catcher.password, PASSWORD, 'PostgreSQL is sent POSTGRES_PASSWORD unchanged (/ + @ : # % and a space)');
    await new Promise((r) => probe.on('exit', r));

    const port = await freePort();
    const first = start(port);
    const url = await first.listening;
    t.equal((await fetch(`${url}/ready`)).status, 200, '/ready answers 200');
    const keyFile = path.join(data, 'audit-log.key');
    const keyStat = await stat(keyFile);
    t.equal(keyStat.uid, IMAGE_UID, 'the log key belongs to the image user');
    t.equal(keyStat.mode & 0o777, 0o600, 'and only that user reads it');
    const key = await readFile(keyFile, 'utf8');
    const served = (await (await fetch(`${url}/v1/audit/key`)).json()) as { origin: string; verifierKey: string };
    t.equal(served.origin, origin, 'the log is named by the AUDIT_LOG_ORIGIN given to compose');
    t.match(served.verifierKey, new RegExp(`^${origin.replace(/[.]/g, '\\.')}\\+[0-9a-f]{8}\\+`), 'its verifier key');

    const health = spawnSync(...inContainer(['node', '-e', healthcheck![2]!], containerEnv(port)), asImageUser);
    t.equal(health.status, 0, "the image's health check passes");

    first.child.kill('SIGTERM');
    t.equal(await first.exited, 0, 'stops cleanly on SIGTERM (docker stop)');

    const second = start(port);
    await second.listening;
    t.equal((await fetch(`${url}/ready`)).status, 200, '/ready answers 200 after the restart');
    t.equal(await readFile(keyFile, 'utf8'), key, 'the log key file is the same');
    t.same(await (await fetch(`${url}/v1/audit/key`)).json(), served, 'the server signs with the same log key');
    second.child.kill('SIGTERM');
    t.equal(await second.exited, 0);

    // With its own certificate (README: TLS_CERT_FILE and TLS_KEY_FILE in compose's
    // environment), the server answers HTTPS only; the health check must follow.
    const cert = await testCertificate();
    t.teardown(() => cert.remove());
    const tls: Record<string, string> = { TLS_CERT_FILE: path.join(app, 'cert.pem'), TLS_KEY_FILE: path.join(app, 'key.pem') };
    for (const [file, pem] of [[tls.TLS_CERT_FILE!, cert.cert], [tls.TLS_KEY_FILE!, cert.key]] as const) {
      await writeFile(file, pem, { mode: 0o600 });
      await chown(file, IMAGE_UID, IMAGE_GID);
    }
    const third = start(port, tls);
    await third.listening;
    const healthTls = spawnSync(...inContainer(['node', '-e', healthcheck![2]!], { ...containerEnv(port), ...tls }), asImageUser);
    t.equal(healthTls.status, 0, 'the health check passes over HTTPS');
    const plainAsked = spawnSync(...inContainer(['node', '-e', healthcheck![2]!], containerEnv(port)), asImageUser);
    t.equal(plainAsked.status, 1, 'and asked over HTTP, the same server fails it (the check really asks)');
    third.child.kill('SIGTERM');
    t.equal(await third.exited, 0);
  });
}
