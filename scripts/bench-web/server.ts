// The server for the web benchmark, as its own process started the production way
// (scripts/start.sh), serving a web build, on a database of its own: a throwaway database on
// the PostgreSQL of DATABASE_URL, else embedded; cleaned up by the teardowns on `t`. At
// LOG_LEVEL=info its request log gives, for the browser and tvault alike, when the server
// saw each request of an upload begin and end, without a proxy in the path.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { testDatabase } from '../../test/helper.ts';
import { onCore } from './pin.ts';

type Tap = { teardown(fn: () => unknown): void };

export interface LoggedRequest {
  id: string;
  method: string;
  route: string;
  /** Epoch milliseconds: the server's "incoming request" and "request completed" lines. */
  start: number;
  end?: number;
}

export interface BenchServer {
  url: string;
  pid: number;
  kind: string;
  /** The throwaway PostgreSQL database's name (its backends' process titles carry it); undefined when embedded. */
  database: string | undefined;
  requests: LoggedRequest[];
  stop(): Promise<void>;
}

interface LogLine {
  msg?: string;
  time?: number;
  reqId?: string;
  req?: { method: string; route: string };
}

/** Starts the server with the web build in `webDist`; KDF minimums at their defaults (256 MiB × 3). */
export async function startServer(t: Tap, webDist: string, tls?: { certFile: string; keyFile: string }): Promise<BenchServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tvault-benchweb-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  // On PostgreSQL a database of its own (tests' [Note: test databases]), dropped at the end;
  // the server migrates it. Embedded: the server's own, in VAULT_DATA_DIR.
  const database = process.env.DATABASE_URL ? await testDatabase(t, { migrate: false }) : undefined;
  const env = {
    ...process.env,
    ...(database ? { DATABASE_URL: database.url } : {}),
    PORT: '0',
    VAULT_DATA_DIR: dataDir,
    WEB_DIST_DIR: webDist,
    ...(tls ? { TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile } : {}),
    REGISTRATION: 'open',
    LOG_LEVEL: 'info',
    // Every run logs in several times a minute from one address.
    AUTH_RATE_LIMIT_MAX: '10000',
    FILE_MAX_BYTES: String(64 * 1024 ** 3),
    USER_QUOTA_BYTES: String(512 * 1024 ** 3),
    // e.g. BENCH_SERVER_NODE_OPTIONS='--import ./scripts/bench-web/server-profile.mjs': the server's own CPU profile.
    ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
  };
  const proc = spawn(...onCore('server', 'sh', ['scripts/start.sh']), { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const requests: LoggedRequest[] = [];
  const open = new Map<string, LoggedRequest>();
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const m = /listening on (https?:\/\/\S+)/.exec(line);
      if (m?.[1]) resolve(m[1]);
      if (!line.startsWith('{')) return;
      const l = JSON.parse(line) as LogLine;
      if (l.msg === 'incoming request' && l.reqId && l.req && l.time) {
        const r = { id: l.reqId, method: l.req.method, route: l.req.route, start: l.time };
        open.set(l.reqId, r);
        requests.push(r);
      } else if (l.msg === 'request completed' && l.reqId && l.time) {
        const r = open.get(l.reqId);
        if (r) r.end = l.time;
        open.delete(l.reqId);
      }
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return {
    url,
    pid: proc.pid!,
    kind: database ? 'PostgreSQL (DATABASE_URL, throwaway database)' : 'embedded (PGlite)',
    database: database ? decodeURIComponent(new URL(database.url).pathname.slice(1)) : undefined,
    requests,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    },
  };
}

/**
 * An upload as the server saw it, among the requests logged since `from`: from the file's
 * creation (POST …/files) to the end of the record's new version (POST …/versions) that
 * follows its completion. The same window for the browser and for tvault.
 */
export function uploadWindow(requests: LoggedRequest[], from: number): { seconds: number; parts: number; inParts: number; start: number; end: number } {
  const seen = requests.slice(from);
  const create = seen.find((r) => r.method === 'POST' && r.route === '/v1/records/:id/files');
  const complete = seen.findIndex((r) => r.method === 'POST' && r.route.endsWith('/complete'));
  const version = seen.slice(complete).find((r) => r.method === 'POST' && r.route === '/v1/records/:id/versions');
  if (!create || complete < 0 || !version?.end) throw new Error('no complete upload in the server log');
  const parts = seen.filter((r) => r.method === 'PUT' && r.route.includes('/parts/'));
  // Time with a part open on the server (its body arriving, then stored), counted once where
  // two overlap ([Note: parts in flight]); the rest of the window the server waited for the
  // client (or handled the few other requests).
  let inParts = 0;
  let until = 0;
  for (const r of [...parts].sort((x, y) => x.start - y.start)) {
    const end = r.end ?? r.start;
    inParts += Math.max(0, end - Math.max(r.start, until));
    until = Math.max(until, end);
  }
  inParts /= 1000;
  return { seconds: (version.end - create.start) / 1000, parts: parts.length, inParts, start: create.start, end: version.end };
}

/** Retries a reading of the server's log for up to 3 s: its lines arrive after the answers they describe. */
export async function fromLog<T>(read: () => T): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return read();
    } catch (err) {
      if (i >= 30) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** User + system CPU seconds (/proc/<pid>/stat; clock ticks of 1/100 s). `children`: of waited-for children instead. */
export async function cpuSeconds(pid: number | 'self', children = false): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [u, s] = children ? [13, 14] : [11, 12];
  return (Number(fields[u]) + Number(fields[s])) / 100;
}
