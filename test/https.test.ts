// The server speaking HTTPS itself ([Note: HTTP/2 served directly]): HTTP/2 and HTTP/1.1 on one
// port, the same answers and headers on both, and a whole upload and download over HTTP/2
// with part bodies as a browser streams them (no Content-Length), byte for byte. The browser
// side is test/web/http2.test.ts.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { Readable } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { Vault, toNodeReadable } from '@testimony-vault/client/node';
import { ConfigError, loadConfig } from '../server/src/config.ts';
import { HTTP2_LIMITS } from '../server/src/http/http2.ts';
import { readTls } from '../server/src/http/tls-files.ts';
import { build, handle, testClient } from './helper.ts';
import { testCertificate } from './tls.ts';

const cert = await testCertificate();
t.teardown(() => cert.remove());
const server = await build(t, { TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile });
const CHUNK = 64 * 1024;

interface Seen {
  method: string;
  path: string;
  contentLength: string | undefined;
}

/**
 * fetch over one HTTP/2 session, sending a request body as a browser streams one: without
 * Content-Length (a browser may not set it). Enough of fetch for the client library.
 */
function http2Fetch(session: ClientHttp2Session, seen: Seen[]): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      if (name !== 'content-length') headers[name] = value;
    });
    const method = init.method ?? 'GET';
    seen.push({ method, path: url.pathname, contentLength: headers['content-length'] });
    const stream = session.request({ ':method': method, ':path': url.pathname + url.search, ...headers });
    const body = init.body;
    if (body === undefined || body === null) stream.end();
    else if (typeof body === 'string' || body instanceof Uint8Array) stream.end(body);
    else if (body instanceof Blob) stream.end(Buffer.from(await body.arrayBuffer()));
    else if (body instanceof ReadableStream) Readable.fromWeb(body as import('node:stream/web').ReadableStream).pipe(stream);
    else throw new TypeError('a body this test fetch does not send');
    const answer = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    });
    const status = Number(answer[':status']);
    const out = new Headers();
    for (const [name, value] of Object.entries(answer)) if (!name.startsWith(':') && value !== undefined) out.set(name, String(value));
    const empty = status === 204 || status === 304 || method === 'HEAD';
    if (empty) stream.resume();
    return new Response(empty ? null : (Readable.toWeb(stream) as ReadableStream<Uint8Array>), { status, headers: out });
  }) as typeof fetch;
}

async function bytesOf(stream: ReadableStream): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of Readable.fromWeb(stream as import('node:stream/web').ReadableStream)) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

t.test('TLS_CERT_FILE and TLS_KEY_FILE go together', async (t) => {
  t.throws(() => loadConfig({ TLS_CERT_FILE: cert.certFile }), ConfigError);
  t.throws(() => loadConfig({ TLS_KEY_FILE: cert.keyFile }), ConfigError);
  t.equal(loadConfig({ TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile }).TLS_KEY_FILE, cert.keyFile);
  t.equal(loadConfig({}).TLS_CERT_FILE, undefined, 'neither: plain HTTP');
});

t.test('only regular certificate files of at most 1 MiB are read (a pipe could block a read for ever)', async (t) => {
  const cert = await testCertificate();
  t.teardown(() => cert.remove());
  const dir = path.dirname(cert.certFile);
  const config = (certFile: string) => loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: cert.keyFile });
  t.ok(await readTls(config(cert.certFile)), 'the certificate itself is read');
  await t.rejects(readTls(config(dir)), { name: 'TlsFilesError', message: /is not a regular file/ }, 'a folder is refused');
  const big = path.join(dir, 'big.pem');
  await writeFile(big, Buffer.concat([cert.cert, Buffer.alloc(1024 * 1024, 0x0a)]));
  await t.rejects(readTls(config(big)), { name: 'TlsFilesError', message: /is larger than 1 MiB/ }, 'a file over 1 MiB is refused');
  // A named pipe with no writer: opening it for reading the usual way would wait for ever.
  const fifo = path.join(dir, 'pipe.pem');
  execFileSync('mkfifo', [fifo]);
  await t.rejects(readTls(config(fifo)), { name: 'TlsFilesError', message: /is not a regular file/ }, 'a named pipe is refused, at once');
});

t.test('one port, HTTPS: HTTP/2 and HTTP/1.1 give the same answer and the same policy headers', async (t) => {
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the address says https');
  const overH1 = await new Promise<{ status: number; headers: Record<string, unknown>; version: string }>((resolve, reject) => {
    httpsRequest(`${server.url}/health`, { ca: cert.cert }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, version: res.httpVersion }));
    })
      .on('error', reject)
      .end();
  });
  const session = connect(server.url, { ca: cert.cert });
  t.teardown(() => session.close());
  const overH2 = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
    const stream = session.request({ ':path': '/health' });
    stream.on('response', (headers) => (stream.resume(), resolve(headers)));
    stream.on('error', reject);
  });
  t.equal(overH1.version, '1.1');
  t.equal(overH1.status, 200);
  t.equal(overH2[constants.HTTP2_HEADER_STATUS], 200);
  t.ok(overH1.headers['content-security-policy'], 'HTTP/1.1 carries the policy');
  t.equal(overH2['content-security-policy'], overH1.headers['content-security-policy'], 'HTTP/2 carries the same policy');
  t.ok(overH1.headers['strict-transport-security'], 'HTTP/1.1 carries HSTS');
  t.equal(overH2['strict-transport-security'], overH1.headers['strict-transport-security'], 'HTTP/2 the same');
});

t.test('a file up and down over HTTP/2, its parts streamed without a length: byte for byte, in many download batches', async (t) => {
  const session = connect(server.url, { ca: cert.cert });
  t.teardown(() => session.close());
  const seen: Seen[] = [];
  const { vault } = await Vault.register({ server: server.url, handle: handle('h2'), passphrase: 'p', ...testClient, fetch: http2Fetch(session, seen) });
  const { id } = await vault.createRecord({ title: 'over HTTP/2', narrative: 'x' });
  // 37 chunks of 64 KiB: five parts of 8 and a short one; ten download batches of four.
  const data = randomBytes(36 * CHUNK + 4321);
  const res = await vault.attachFile(id, new Uint8Array(data), { name: 'h2.bin', type: 'application/octet-stream', chunkSize: CHUNK });
  t.equal(res.sha256, sha(data));
  const parts = seen.filter((s) => s.method === 'PUT' && /\/parts\/\d+$/.test(s.path));
  t.ok(parts.length >= 2, `the file went up in ${parts.length} parts`);
  t.ok(parts.every((p) => p.contentLength === undefined), 'no part said its length');
  const chunks: Buffer[] = [];
  for await (const piece of toNodeReadable(await vault.openFile(id, res.fileId))) chunks.push(piece as Buffer);
  t.ok(Buffer.concat(chunks).equals(data), 'downloaded over HTTP/2, byte for byte');
  t.ok(seen.some((s) => s.method === 'GET' && s.path.endsWith(`/files/${res.fileId}`)), 'the download went over HTTP/2');
});

t.test('over HTTP/1.1 with TLS, as tvault connects: the same file round trip', async (t) => {
  // Node's fetch speaks HTTP/1.1; it trusts the certificate as NODE_EXTRA_CA_CERTS would make
  // it, here through an agent of node:https in a fetch of the same shape as above.
  const seen: Seen[] = [];
  const viaHttps: typeof fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const body = init.body instanceof ReadableStream ? await bytesOf(init.body) : init.body instanceof Blob ? Buffer.from(await init.body.arrayBuffer()) : (init.body as string | Uint8Array | undefined);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    seen.push({ method: init.method ?? 'GET', path: url.pathname, contentLength: headers['content-length'] });
    return new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(url, { method: init.method ?? 'GET', headers, ca: cert.cert }, (res) => {
        const status = res.statusCode!;
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out.set(name, String(value));
        if (status === 204) res.resume();
        resolve(new Response(status === 204 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers: out }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }) as typeof fetch;
  const { vault } = await Vault.register({ server: server.url, handle: handle('h1'), passphrase: 'p', ...testClient, fetch: viaHttps });
  const { id } = await vault.createRecord({ title: 'over HTTP/1.1', narrative: 'x' });
  const data = randomBytes(20 * CHUNK + 1);
  const res = await vault.attachFile(id, new Uint8Array(data), { name: 'h1.bin', type: 'application/octet-stream', chunkSize: CHUNK });
  const chunks: Buffer[] = [];
  for await (const piece of toNodeReadable(await vault.openFile(id, res.fileId))) chunks.push(piece as Buffer);
  t.ok(Buffer.concat(chunks).equals(data), 'byte for byte');
  t.ok(seen.filter((s) => s.method === 'PUT').every((s) => s.contentLength !== undefined), 'each part said its length, as Node sends it');
});

t.test('what one HTTP/2 connection may hold is bounded, and HTTP/1.1 on the same port keeps plain HTTP’s timeouts', async (t) => {
  const session = connect(server.url, { ca: cert.cert });
  t.teardown(() => session.close());
  const settings = await new Promise<import('node:http2').Settings>((resolve) => session.once('remoteSettings', resolve));
  t.equal(settings.maxConcurrentStreams, HTTP2_LIMITS.MAX_STREAMS, 'a stream limit is announced');
  t.equal(settings.initialWindowSize, HTTP2_LIMITS.STREAM_WINDOW, 'and a window per stream');
  // The connection's window arrives as a WINDOW_UPDATE after the settings; a ping's answer comes after both.
  await new Promise<void>((resolve, reject) => void session.ping((err) => (err ? reject(err) : resolve())));
  t.equal(session.state.remoteWindowSize, HTTP2_LIMITS.CONNECTION_WINDOW, 'and one for the whole connection');
  t.ok(HTTP2_LIMITS.CONNECTION_WINDOW <= 8 * 1024 * 1024, 'at most 8 MiB of unread bodies per connection');
  const http1 = server.app.server as unknown as { requestTimeout: number; keepAliveTimeout: number };
  t.equal(http1.requestTimeout, 0, 'no request timeout for HTTP/1.1 (a part on a slow link must be able to finish)');
  t.equal(http1.keepAliveTimeout, 72_000, 'idle HTTP/1.1 connections close as in plain HTTP');
});

t.test('closing the server sends its HTTP/2 sessions away instead of waiting for them', async (t) => {
  const own = await build(t, { TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile });
  const session = connect(own.url, { ca: cert.cert });
  session.on('error', () => {});
  // An idle browser connection: one request answered, then nothing.
  await new Promise<void>((resolve, reject) => {
    const stream = session.request({ ':path': '/health' });
    stream.on('response', () => stream.resume());
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
  const started = Date.now();
  await own.app.close();
  t.ok(Date.now() - started < 5000, `the server closed in ${Date.now() - started} ms with a session open`);
  await goaway;
  t.pass('the session was told to go away');
});
