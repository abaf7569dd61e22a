import { createHash } from 'node:crypto';

// [Note: verifying the web client a server serves]
// The checks of `tvault verify-web` (docs/THREAT-MODEL.md, "Code delivery"): every file a
// manifest lists is fetched from the server and its SHA-256 compared; the page served at `/`
// must be /index.html; every answer must carry exactly the policy below. Files are asked for
// as a browser asks, compressed encodings accepted; an answer that comes compressed is
// checked decoded (what the browser runs), and asked for again uncompressed and checked too
// (what `curl | sha256sum` sees), so neither can differ unnoticed. With a manifest from
// a build the organisation audited, a match shows the server serves that code, to this
// client, now. With the server's own manifest it shows only that the server is consistent.

/**
 * The Content-Security-Policy a vault server must send. Written here, not imported from the
 * server (server/src/http/security-headers.ts): the verifier does not take the server's
 * word for what the policy is. test/web-integrity.test.ts checks both are the same.
 */
export const EXPECTED_CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export const MANIFEST_PATH = '/web-manifest.json';

export interface WebManifest {
  version: 1;
  files: Record<string, string>;
}

export type Difference =
  | { path: string; problem: 'status'; status: number }
  /** `encoding`: the Content-Encoding of the answer that differed (decoded before hashing); absent when uncompressed. */
  | { path: string; problem: 'hash'; expected: string; got: string; encoding?: string }
  | { path: string; problem: 'csp'; got: string }
  | { path: string; problem: 'root' }
  | { path: string; problem: 'manifest'; detail: string };

export interface WebReport {
  files: number;
  differences: Difference[];
}

/** A manifest that is not version 1 of paths and SHA-256 hashes, or names a path not to fetch. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** The server did not answer at all (as opposed to answering the wrong thing). */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

// A served path: segments with no '/', '?', '#', '\' or control character, none starting
// with a dot. A manifest from a hostile server could otherwise send the verifier elsewhere.
const SEGMENT = /^[^./?#\\\u0000-\u001f\u007f][^/?#\\\u0000-\u001f\u007f]*$/;

export function parseManifest(text: string): WebManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ManifestError('not JSON');
  }
  const { version, files } = (doc ?? {}) as { version?: unknown; files?: unknown };
  if (version !== 1) throw new ManifestError('version is not 1');
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw new ManifestError('no files');
  for (const [file, hash] of Object.entries(files)) {
    if (!file.startsWith('/') || !file.slice(1).split('/').every((s) => SEGMENT.test(s))) throw new ManifestError(`${JSON.stringify(file)} is not a served path`);
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw new ManifestError(`${file}: not a SHA-256 in hex`);
  }
  return { version: 1, files: files as Record<string, string> };
}

function sameFiles(a: WebManifest, b: WebManifest): boolean {
  const names = Object.keys(a.files);
  return names.length === Object.keys(b.files).length && names.every((name) => b.files[name] === a.files[name]);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// The verifier asks as a browser does, so that a server cannot cheaply serve the audited
// files to a script and changed ones to every browser (a review from the attacker's side did
// exactly that by the User-Agent and Sec-Fetch-Dest). This narrows the difference; it cannot
// close it: a server can still tell by address, timing or TLS (docs/THREAT-MODEL.md).
const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  'accept-language': 'es-MX,es;q=0.9,en;q=0.8',
  'sec-fetch-site': 'same-origin',
  'accept-encoding': 'gzip, deflate, br, zstd',
};

/** What a browser sends for this path: a navigation for pages, a script, style, image or a fetch otherwise. */
function browserHeaders(path: string): Record<string, string> {
  const dest = path === '/' || path.endsWith('.html') ? 'document' : path.endsWith('.js') ? 'script' : path.endsWith('.css') ? 'style' : /\.(svg|png|jpe?g|webp|ico)$/.test(path) ? 'image' : 'empty';
  const accept = dest === 'document' ? 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' : dest === 'style' ? 'text/css,*/*;q=0.1' : '*/*';
  const mode = dest === 'document' ? 'navigate' : dest === 'script' ? 'cors' : dest === 'empty' ? 'cors' : 'no-cors';
  return { ...BROWSER_HEADERS, accept, 'sec-fetch-dest': dest, 'sec-fetch-mode': mode, ...(dest === 'document' ? { 'sec-fetch-site': 'none', 'sec-fetch-user': '?1', 'upgrade-insecure-requests': '1' } : {}) };
}

/** Fetches and checks the web client served under `origin`; `trusted` replaces the server's manifest. */
export async function verifyWeb(origin: string, trusted?: WebManifest, fetcher: typeof fetch = fetch): Promise<WebReport> {
  const base = origin.replace(/\/+$/, '');
  const differences: Difference[] = [];

  /** The body as the browser has it (fetch decodes gzip, deflate and br) and its Content-Encoding ('' for none). */
  async function get(path: string, acceptEncoding?: string): Promise<{ body: Uint8Array; encoding: string } | undefined> {
    const url = base + path.split('/').map(encodeURIComponent).join('/');
    let res: Response;
    try {
      const headers = { ...browserHeaders(path), ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) };
      res = await fetcher(url, { redirect: 'manual', headers, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw new UnreachableError((err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message);
    }
    const csp = res.headers.get('content-security-policy') ?? '';
    if (csp !== EXPECTED_CSP) differences.push({ path, problem: 'csp', got: csp });
    const body = new Uint8Array(await res.arrayBuffer());
    const encoding = (res.headers.get('content-encoding') ?? '').trim().toLowerCase();
    if (res.status === 200) return { body, encoding: encoding === 'identity' ? '' : encoding };
    differences.push({ path, problem: 'status', status: res.status });
    return undefined;
  }

  /**
   * The browser's answer and, when that came compressed, the answers to a browser that takes
   * gzip only (Chromium over plain HTTP offers no brotli, nor do some proxies) and to one that
   * takes none: each variant is a file of its own on the server and could differ.
   */
  async function answers(path: string): Promise<{ body: Uint8Array; encoding: string }[]> {
    const first = await get(path);
    if (!first?.encoding) return first ? [first] : [];
    const all = [first];
    for (const only of ['gzip', 'identity']) {
      const other = await get(path, only);
      if (other && !all.some((a) => a.encoding === other.encoding)) all.push(other);
    }
    return all;
  }

  const servedText = (await get(MANIFEST_PATH))?.body;
  let served: WebManifest | undefined;
  try {
    if (servedText) served = parseManifest(Buffer.from(servedText).toString('utf8'));
  } catch (err) {
    differences.push({ path: MANIFEST_PATH, problem: 'manifest', detail: (err as Error).message });
  }
  if (trusted && served && !sameFiles(served, trusted)) {
    differences.push({ path: MANIFEST_PATH, problem: 'manifest', detail: 'not the trusted manifest' });
  }
  const manifest = trusted ?? served;
  if (!manifest) return { files: 0, differences };

  for (const [path, expected] of Object.entries(manifest.files)) {
    for (const { body, encoding } of await answers(path)) {
      const got = sha256(body);
      if (got !== expected) differences.push({ path, problem: 'hash', expected, got, ...(encoding ? { encoding } : {}) });
    }
  }
  const index = manifest.files['/index.html'];
  for (const { body } of await answers('/')) {
    if (index === undefined || sha256(body) !== index) {
      differences.push({ path: '/', problem: 'root' });
      break;
    }
  }
  return { files: Object.keys(manifest.files).length, differences };
}
