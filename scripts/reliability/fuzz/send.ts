import http from 'node:http';
import net from 'node:net';
import { fillerBytes } from './body.ts';
import type { FuzzCase } from './cases.ts';
import type { RawBytes } from './raw.ts';

// Sends cases with node:http (which sends a path as it is given, dot segments and all) or,
// for broken framing, a bare socket. A response is kept only as status, content type and
// at most 64 KiB of body, enough to judge its shape; no body is ever printed.

export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** Why there was no answer: a connection closed by the server mid-request, or a timeout. */
export interface NoAnswer {
  status: 0;
  reason: string;
}

const KEEP = 64 * 1024;
const TIMEOUT_MS = 30_000;

function collect(res: http.IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    res.on('data', (d: Buffer) => {
      if (size < KEEP) parts.push(d);
      size += d.length;
    });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(parts).subarray(0, KEEP).toString('utf8') }));
    res.on('error', reject);
  });
}

function viaHttp(base: URL, agent: http.Agent, c: FuzzCase): Promise<Answer | NoAnswer> {
  const body = c.body === undefined ? undefined : Buffer.isBuffer(c.body) ? c.body : fillerBytes(c.body);
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer | NoAnswer) => {
      if (!settled) resolve(a);
      settled = true;
    };
    const headers = { ...c.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
    let req: http.ClientRequest;
    try {
      req = http.request({ host: base.hostname, port: base.port, method: c.method, path: c.path, headers, agent, timeout: TIMEOUT_MS });
    } catch (err) {
      // The client refused to send it (e.g. a character Node does not allow in a path).
      return done({ status: 0, reason: `not sent: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
    }
    req.on('response', (res) => collect(res).then(done, (err: NodeJS.ErrnoException) => done({ status: 0, reason: err.code ?? 'response error' })));
    req.on('timeout', () => {
      req.destroy();
      done({ status: 0, reason: 'timeout' });
    });
    // A server that answers early (413) and closes while the body is still going out.
    req.on('error', (err: NodeJS.ErrnoException) => done({ status: 0, reason: err.code ?? 'error' }));
    req.end(body);
  });
}

/** Parses the status line, headers and body of a response read whole from a socket. */
function parseRaw(bytes: Buffer): Answer | NoAnswer {
  const text = bytes.toString('latin1');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!m?.[1]) return { status: 0, reason: bytes.length ? 'not HTTP' : 'closed without an answer' };
  const split = text.indexOf('\r\n\r\n');
  const headerText = split < 0 ? text : text.slice(0, split);
  let body = split < 0 ? '' : bytes.subarray(split + 4).toString('utf8');
  if (/^transfer-encoding:\s*chunked/im.test(headerText)) body = body.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '');
  return { status: Number(m[1]), contentType: /^content-type:\s*(.*)$/im.exec(headerText)?.[1]?.trim() ?? '', body: body.slice(0, KEEP) };
}

function viaSocket(base: URL, raw: RawBytes): Promise<Answer | NoAnswer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const socket = net.connect({ host: base.hostname, port: Number(base.port) }, () => (raw.halfClose ? socket.end(raw.bytes) : socket.write(raw.bytes)));
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(parseRaw(Buffer.concat(parts))));
  });
}

export function send(base: URL, agent: http.Agent, c: FuzzCase): Promise<Answer | NoAnswer> {
  return c.raw ? viaSocket(base, c.raw) : viaHttp(base, agent, c);
}

/** Sends every case, at most `concurrency` at once, and hands each answer to `onAnswer`. */
export async function sendAll(
  baseUrl: string,
  cases: Iterable<FuzzCase>,
  concurrency: number,
  onAnswer: (c: FuzzCase, a: Answer | NoAnswer) => void,
): Promise<void> {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const it = cases[Symbol.iterator]();
  const worker = async () => {
    for (let next = it.next(); !next.done; next = it.next()) onAnswer(next.value, await send(base, agent, next.value));
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
}
