import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from 'vite';

// [Note: code integrity of the web client]
// At the end of the build, when every file is on disk (public files included):
// 1. Every <script src> and <link rel=stylesheet|modulepreload> of each HTML page gets
//    integrity="sha384-…" of the file it loads, so a browser refuses a file that differs from
//    the one this build made. The files are same-origin, where Chromium checks integrity with
//    or without `crossorigin` (module scripts and modulepreload are fetched in CORS mode
//    anyway, and a same-origin answer is never opaque); Vite's own `crossorigin` is kept.
// 2. web-manifest.json lists the SHA-256 of every file the server serves, index.html after
//    step 1, in sorted order: the same sources give the same bytes. What SRI cannot reach
//    (the worker, chunks loaded by import(), WebAssembly) is covered by the manifest, which
//    an organisation compares with what its server serves (`tvault verify-web`).
// Inline script and <style> would be refused by the server's CSP, and code from another
// origin by both: the build fails on them here rather than in a browser.

export const MANIFEST_FILE = 'web-manifest.json';

export interface WebManifest {
  version: 1;
  /** Served path ("/index.html", "/assets/…") → SHA-256, lower-case hex. */
  files: Record<string, string>;
}

/** The Vite plugin: `plugins: [integrity()]` in vite.config.ts. */
export function integrity(): Plugin {
  let base = '/';
  return {
    name: 'testimony-vault:integrity',
    apply: 'build',
    configResolved(config) {
      base = config.base;
    },
    writeBundle: {
      order: 'post',
      sequential: true,
      async handler(options) {
        if (!options.dir) throw new Error('integrity(): the build has no output folder');
        await sealBuild(options.dir, base);
      },
    },
  };
}

/** Adds SRI to the HTML pages in `outDir` and writes web-manifest.json; returns the manifest. */
export async function sealBuild(outDir: string, base = '/'): Promise<WebManifest> {
  const files = await readBuild(outDir);
  for (const [rel, bytes] of files) {
    if (!rel.endsWith('.html')) continue;
    const html = addIntegrity(bytes.toString('utf8'), rel, base, files);
    files.set(rel, Buffer.from(html));
    await writeFile(path.join(outDir, rel), html);
  }
  const manifest = manifestOf(files);
  await writeFile(path.join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Every regular file not under a dot-name (the files the server serves), but the manifest. */
async function readBuild(outDir: string, dir = '', files = new Map<string, Buffer>()): Promise<Map<string, Buffer>> {
  for (const entry of await readdir(path.join(outDir, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.name.startsWith('.') || rel === MANIFEST_FILE) continue;
    if (entry.isFile()) files.set(rel, await readFile(path.join(outDir, rel)));
    else if (entry.isDirectory()) await readBuild(outDir, rel, files);
  }
  return files;
}

export function manifestOf(files: ReadonlyMap<string, Uint8Array>): WebManifest {
  const sorted = [...files.keys()].sort();
  return { version: 1, files: Object.fromEntries(sorted.map((rel) => [`/${rel}`, createHash('sha256').update(files.get(rel)!).digest('hex')])) };
}

const TAG = /<(script|link|style)\b([^>]*)>/gi;
const ATTR = /([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
const EXECUTABLE = new Set(['', 'module', 'text/javascript', 'application/javascript', 'importmap']);

function attributes(source: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of source.matchAll(ATTR)) attrs.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? m[4] ?? '');
  return attrs;
}

/** The HTML with integrity on every script and stylesheet or modulepreload link. */
export function addIntegrity(html: string, htmlPath: string, base: string, files: ReadonlyMap<string, Uint8Array>): string {
  return html.replace(TAG, (tag, name: string, source: string) => {
    const attrs = attributes(source);
    const element = name.toLowerCase();
    if (element === 'style') throw new Error(`${htmlPath}: inline <style> is refused by the CSP (style-src 'self'); import the CSS instead`);
    const url = element === 'script' ? attrs.get('src') : attrs.get('href');
    if (element === 'script' && url === undefined) {
      if (EXECUTABLE.has((attrs.get('type') ?? '').toLowerCase())) throw new Error(`${htmlPath}: inline <script> is refused by the CSP (script-src 'self')`);
      return tag;
    }
    const rel = (attrs.get('rel') ?? '').toLowerCase().split(/\s+/);
    if (element === 'link' && !rel.includes('stylesheet') && !rel.includes('modulepreload')) return tag;
    if (url === undefined) return tag;
    const sri = `sha384-${createHash('sha384').update(builtFile(url, htmlPath, base, files)).digest('base64')}`;
    const present = attrs.get('integrity');
    if (present === sri) return tag;
    if (present !== undefined) throw new Error(`${htmlPath}: ${url} has integrity="${present}", but the file built is ${sri}`);
    return tag.replace(/\s*\/?>$/, (end) => ` integrity="${sri}"${end}`);
  });
}

function builtFile(url: string, htmlPath: string, base: string, files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  if (/^(?:[a-z][a-z\d+.-]*:|\/\/)/i.test(url)) throw new Error(`${htmlPath}: ${url} is not of this origin; the CSP would refuse it`);
  const clean = decodeURI(url.replace(/[?#].*$/, ''));
  const rel = clean.startsWith('/')
    ? clean.slice(base.startsWith('/') && clean.startsWith(base) ? base.length : 1)
    : path.posix.normalize(path.posix.join(path.posix.dirname(htmlPath), clean));
  const bytes = files.get(rel);
  if (!bytes) throw new Error(`${htmlPath}: ${url} is not a file of the build`);
  return bytes;
}
