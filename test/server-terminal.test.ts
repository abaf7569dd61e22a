import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { testCertificate } from './tls.ts';

// [Note: a terminal that closes]: `npm start` in a terminal window, and the window closed
// while a request is still arriving. util-linux's `script` gives the server a real
// pseudo-terminal; killing `script` closes it, as closing the window does, and the kernel
// hangs the terminal up. Before the fix the server gave up its graceful shutdown at the first
// log line (EIO), then Node's exit aborted, and the abort spun on a core for ever.

const root = path.resolve(import.meta.dirname, '..');

/**
 * `npm start`'s script in a terminal of its own, under a small stand-in for the shell that
 * owns the terminal: on the hang-up it passes SIGHUP on to its job, as an interactive shell
 * does, and a second one 20 ms later, as the kernel does when that shell exits (the stand-in
 * stays, to write down in `statusFile` how the server ended: SIGHUP's default action, not
 * SIGABRT; nothing else outlives the terminal to see it).
 */
const SHELL_STAND_IN = `
const { spawn } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const job = spawn('sh', ['scripts/start.sh'], { stdio: 'inherit' });
process.on('SIGHUP', () => {
  job.kill('SIGHUP');
  setTimeout(() => job.kill('SIGHUP'), 20);
});
job.on('exit', (code, signal) => {
  writeFileSync(process.env.TV_STATUS_FILE, String(signal ?? code));
  process.kill(process.pid, 'SIGKILL');
});`;

function startInTerminal(env: NodeJS.ProcessEnv, statusFile: string) {
  const command = `exec "${process.execPath}" -e "$TV_SHELL_STAND_IN"`;
  // stdin a pipe left open: at end of input `script` would end the session itself.
  const terminal = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: root,
    env: { ...env, SHELL: '/bin/sh', TV_STATUS_FILE: statusFile, TV_SHELL_STAND_IN: SHELL_STAND_IN },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const listening = new Promise<{ url: string; pid: number }>((resolve, reject) => {
    terminal.stdout.on('data', (d: Buffer) => {
      output += d;
      const line = output.split('\n').find((l) => l.includes('testimony-vault listening on'));
      const url = line && /listening on (https?:\/\/\S+?)\s/.exec(line)?.[1];
      const pid = line && /"pid":(\d+)/.exec(line)?.[1];
      if (url && pid) resolve({ url, pid: Number(pid) });
    });
    terminal.on('exit', () => reject(new Error(`the terminal ended before the server listened: ${output}`)));
  });
  return { terminal, listening, output: () => output };
}

/** Running, neither gone nor a zombie waiting to be reaped (its parent, `script`, was killed). */
function alive(pid: number): boolean {
  try {
    const state = /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

/** A request whose body arrives in two halves, the second when `finish` is called. */
function slowPrelogin(url: string) {
  const body = JSON.stringify({ handle: 'someone-arriving-slowly' });
  const half = Math.floor(body.length / 2);
  const options = { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, rejectUnauthorized: false };
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  let finish!: () => void;
  const answer = new Promise<{ status: number; body: string }>((resolve) => {
    const req = send(`${url}/v1/auth/prelogin`, options, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
    req.write(body.slice(0, half));
    finish = () => req.end(body.slice(half));
  });
  return { answer, finish: () => finish() };
}

for (const mode of ['http', 'https'] as const) {
  t.test(`over ${mode}: closing the terminal lets a request under way finish, then the server ends`, async (t) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tvault-terminal-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', VAULT_DATA_DIR: dataDir, SHUTDOWN_GRACE_SECONDS: '20' };
    delete env.DATABASE_URL;
    if (mode === 'https') {
      // With a certificate SIGHUP means "read it again"; a hang-up must still stop the server.
      const certificate = await testCertificate();
      t.teardown(() => certificate.remove());
      Object.assign(env, { TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile });
    }

    const statusFile = path.join(dataDir, 'server-ended-with');
    const run = startInTerminal(env, statusFile);
    let pid = 0;
    t.teardown(async () => {
      run.terminal.kill('SIGKILL');
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      while (pid && alive(pid)) await sleep(50);
      await rm(dataDir, { recursive: true, force: true });
    });
    const listening = await Promise.race([run.listening, sleep(180_000).then(() => Promise.reject(new Error(`no listening line in 180 s: ${run.output()}`)))]);
    const url = listening.url;
    pid = listening.pid;
    t.ok(url.startsWith(`${mode}:`), `listening on ${url}`);

    const request = slowPrelogin(url);
    // Under way: the server logged its arrival (an idle connection would just be closed).
    for (const until = Date.now() + 30_000; !/"route":"\/v1\/auth\/prelogin"[^\n]*"msg":"incoming request"/.test(run.output()) && Date.now() < until; ) await sleep(50);
    run.terminal.kill('SIGKILL'); // the window closes
    await sleep(1000);
    t.ok(alive(pid), 'the server is still draining the request under way');
    request.finish();
    const answer = await request.answer;
    t.equal(answer.status, 200, `the request under way got its answer from the database (${answer.status === 200 ? 'kdf' : answer.body})`);
    if (answer.status === 200) t.match(JSON.parse(answer.body), { kdf: { salt: String } });

    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await sleep(100);
    t.notOk(alive(pid), 'the server ended by itself once the request was answered');
    while (!existsSync(statusFile) && Date.now() < deadline) await sleep(100);
    t.equal(readFileSync(statusFile, 'utf8'), 'SIGHUP', 'by SIGHUP, as a process whose terminal hung up ends: not by an abort');
  });
}
