// A server that tells the verifier from a browser (by the User-Agent, the Sec-Fetch-Dest or
// the Accept-Encoding a browser sends) and serves the audited page only to the verifier: verify-web asks as a
// browser does, so it is served what a browser is, and catches it. (Found by a review from
// the attacker's side; a server can still tell by address or timing: docs/THREAT-MODEL.md.)
import { createHash } from 'node:crypto';
import t from 'tap';
import { EXPECTED_CSP, verifyWeb, type WebManifest } from '../cli/src/web-verify.ts';

const honest = '<!doctype html><title>Bóveda</title><script type="module" src="/assets/app.js"></script>';
const hostile = honest.replace('Bóveda', 'Bóveda (changed)');
const app = 'console.log(1)';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const manifest: WebManifest = { version: 1, files: { '/index.html': sha(honest), '/assets/app.js': sha(app) } };

/** Answers like the server at https://vault.example, choosing the page by how the request looks. */
function server(looksLikeBrowser: (h: Headers) => boolean): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    const body =
      url.pathname === '/web-manifest.json' ? JSON.stringify(manifest)
      : url.pathname === '/assets/app.js' ? app
      : looksLikeBrowser(headers) ? hostile : honest;
    return new Response(body, { status: 200, headers: { 'content-security-policy': EXPECTED_CSP } });
  };
}

t.test('a page served differently to browsers is caught', async (t) => {
  for (const [how, test] of [
    ['by User-Agent', (h: Headers) => /Mozilla/.test(h.get('user-agent') ?? '')],
    ['by Sec-Fetch-Dest', (h: Headers) => h.get('sec-fetch-dest') === 'document'],
    ['by Accept', (h: Headers) => (h.get('accept') ?? '').includes('text/html')],
    ['by Accept-Encoding', (h: Headers) => /\bbr\b/.test(h.get('accept-encoding') ?? '') && /\bzstd\b/.test(h.get('accept-encoding') ?? '')],
  ] as const) {
    const report = await verifyWeb('https://vault.example', manifest, server(test));
    t.ok(report.differences.some((d) => d.path === '/index.html' || d.path === '/'), `caught ${how}`);
  }
  const report = await verifyWeb('https://vault.example', manifest, server(() => false));
  t.same(report.differences, [], 'and an honest server passes');
});
