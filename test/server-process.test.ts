import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect as connectTls } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { testClient } from './helper.ts';
import { RUN_TS } from './run-ts.ts';
import { testCertificate } from './tls.ts';

// The README's start command, as a newcomer runs it: no DATABASE_URL, the embedded
// database in a data folder; then SIGTERM, a restart, and the data is still there.

const root = path.resolve(import.meta.dirname, '..');

function start(dataDir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', VAULT_DATA_DIR: dataDir, REGISTRATION: 'open', KDF_MIN_OPS: '1', KDF_MIN_MEM_BYTES: '8192' };
  delete env.DATABASE_URL;
  // `npm start` is scripts/start.sh: compile the server, then exec node on the bundle.
  const child = spawn('sh', ['scripts/start.sh'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const address = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d;
      const m = /testimony-vault listening on (http:\/\/\S+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    });
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, address, exited, output: () => output };
}

t.test('starts on the embedded database, serves /ready, stops cleanly and keeps its data', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tvault-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));

  const first = start(dataDir);
  t.teardown(() => first.child.kill('SIGKILL'));
  const url = await first.address;
  const ready = await fetch(`${url}/ready`);
  t.equal(ready.status, 200, '/ready answers 200');
  t.same(await ready.json(), { status: 'ready' });
  t.match(first.output(), /database: embedded/);
  await Vault.register({ server: url, handle: 'persisted', passphrase: 'kept across restarts', ...testClient });

  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0, 'exits 0 on SIGTERM');

  const second = start(dataDir);
  t.teardown(() => second.child.kill('SIGKILL'));
  const url2 = await second.address;
  const vault = await Vault.login({ server: url2, handle: 'persisted', passphrase: 'kept across restarts', ...testClient });
  t.equal(vault.handle, 'persisted', 'the account survived the restart');
  // Without a certificate SIGHUP still means stop (a terminal closed, a supervisor), cleanly.
  second.child.kill('SIGHUP');
  t.equal(await second.exited, 0, 'on plain HTTP, SIGHUP stops it cleanly');
  t.match(second.output(), /"signal":"SIGHUP"[^\n]*shutting down/, 'as a shutdown');
});

t.test('a bad configuration stops start-up with a clear message and a non-zero exit', async (t) => {
  const child = spawn(process.execPath, [...RUN_TS, 'server/src/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: 'not-a-port' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  t.equal(code, 1);
  t.match(err, /invalid configuration.*PORT/);
});

t.test('certificate files that cannot be used stop start-up with a clear message, before any database is opened', async (t) => {
  const one = await testCertificate();
  const other = await testCertificate();
  t.teardown(() => Promise.all([one.remove(), other.remove()]));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tvault-tls-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const attempt = async (cert: string, key: string) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', VAULT_DATA_DIR: dataDir, TLS_CERT_FILE: cert, TLS_KEY_FILE: key };
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, [...RUN_TS, 'server/src/server.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    return { code, err };
  };
  const missing = await attempt(path.join(dataDir, 'none.pem'), one.keyFile);
  t.equal(missing.code, 1);
  t.match(missing.err, /^testimony-vault: cannot read TLS_CERT_FILE or TLS_KEY_FILE: ENOENT\n$/, 'one line, naming the variables');
  const mismatched = await attempt(one.certFile, other.keyFile);
  t.equal(mismatched.code, 1);
  t.match(mismatched.err, /^testimony-vault: TLS_CERT_FILE and TLS_KEY_FILE do not make a certificate and its key: .+\n$/);
  t.notMatch(mismatched.err, /PRIVATE KEY/, 'nothing of the key is printed');
  const entries = await readdir(dataDir);
  t.same(entries, [], 'no database was created');
});

/** The certificate a new TLS connection to the server gets, and the protocol it agreed to. */
async function presented(port: number): Promise<{ fingerprint: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      resolve({ fingerprint: socket.getPeerX509Certificate()!.fingerprint256, alpn: socket.alpnProtocol ?? false });
      socket.end();
    });
    socket.on('error', reject);
  });
}

t.test('SIGHUP reads a renewed certificate again; files that cannot be used are refused and the old certificate kept', async (t) => {
  const one = await testCertificate();
  const renewed = await testCertificate();
  const stranger = await testCertificate();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tvault-tls-'));
  t.teardown(() => Promise.all([one.remove(), renewed.remove(), stranger.remove(), rm(dataDir, { recursive: true, force: true })]));
  // Where the operator's files live, renewed in place.
  const certFile = path.join(dataDir, 'cert.pem');
  const keyFile = path.join(dataDir, 'key.pem');
  await Promise.all([writeFile(certFile, one.cert), writeFile(keyFile, one.key)]);
  const fingerprint = (pem: Buffer) => new X509Certificate(pem).fingerprint256;

  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', VAULT_DATA_DIR: path.join(dataDir, 'data'), TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [...RUN_TS, 'server/src/server.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const waitFor = async (pattern: RegExp, what: string) => {
    for (let i = 0; i < 600 && !pattern.test(output); i++) await new Promise((r) => setTimeout(r, 50));
    if (!pattern.test(output)) throw new Error(`no ${what} in: ${output}`);
  };
  await waitFor(/listening on https:\/\/127\.0\.0\.1:\d+/, 'address');
  const port = Number(/listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]);
  t.same(await presented(port), { fingerprint: fingerprint(one.cert), alpn: 'h2' }, 'at start: the first certificate, over HTTP/2');

  await Promise.all([writeFile(certFile, renewed.cert), writeFile(keyFile, renewed.key)]);
  child.kill('SIGHUP');
  await waitFor(/TLS certificate and key read again/, 'reload line');
  t.same(await presented(port), { fingerprint: fingerprint(renewed.cert), alpn: 'h2' }, 'after SIGHUP: the renewed certificate, still HTTP/2');

  t.match(output, new RegExp(`"fingerprint256":"${fingerprint(renewed.cert)}"`), 'the reload says which certificate it now serves');

  // Nothing renewed (a container still given the old file): said as a warning, not a success.
  child.kill('SIGHUP');
  await waitFor(/the certificate is the one already served/, 'warning');
  t.equal(output.match(/TLS certificate and key read again: new connections get them/g)?.length, 1, 'no second "new connections get them"');

  // A renewal caught half-way: the new certificate, the old key; then a key file gone.
  await writeFile(certFile, stranger.cert);
  child.kill('SIGHUP');
  await waitFor(/TLS certificate and key not read again/, 'refusal line');
  t.same(await presented(port), { fingerprint: fingerprint(renewed.cert), alpn: 'h2' }, 'a key that is not the certificate’s: the server keeps the one it had');
  await writeFile(certFile, renewed.cert);
  await rm(keyFile);
  child.kill('SIGHUP');
  await waitFor(/cannot read TLS_CERT_FILE or TLS_KEY_FILE: ENOENT/, 'second refusal');
  t.match(output, /"level":50[^\n]*cannot read TLS_CERT_FILE or TLS_KEY_FILE: ENOENT/, 'a missing file: refused, logged as an error');
  t.same(await presented(port), { fingerprint: fingerprint(renewed.cert), alpn: 'h2' }, 'and the server keeps the one it had');
  t.notMatch(output, /PRIVATE KEY/, 'nothing of a key is logged');
  const ready = await new Promise<number>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/ready', rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(ready, 200, 'and still serves');

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM still stops it cleanly');
});
