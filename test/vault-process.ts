import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { TEST_KDF } from './helper.ts';
import { RUN_TS } from './run-ts.ts';

// A vault server in a process of its own (`node --conditions=@testimony-vault/source --import tsx server/src/server.ts`), for the
// tests that kill it, restart it, or start it on a restored database. Its output is kept
// for a failing assertion's message only (the server logs no secret).

const root = path.resolve(import.meta.dirname, '..');

type Tap = { teardown(fn: () => unknown): void };

export interface VaultProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>;
  output(): string;
}

/** A loopback port free right now, so a restarted server can listen where clients already point. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts a server with test settings and `env` on top (set DATABASE_URL, or VAULT_DATA_DIR
 * for the embedded database; DATABASE_URL is never inherited). Resolves once it listens.
 */
export async function startVault(t: Tap, env: Record<string, string>, port = 0): Promise<VaultProcess> {
  const full: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    REGISTRATION: 'open',
    KDF_MIN_OPS: String(TEST_KDF.opsLimit),
    KDF_MIN_MEM_BYTES: String(TEST_KDF.memLimit),
    AUTH_RATE_LIMIT_MAX: '10000',
    LOG_LEVEL: 'warn',
  };
  delete full.DATABASE_URL;
  Object.assign(full, env);
  const child = spawn(process.execPath, [...RUN_TS, 'server/src/server.ts'], { cwd: root, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /testimony-vault listening on (http:\/\/\S+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening: ${output}`)));
  });
  return { url, child, exited, output: () => output };
}
