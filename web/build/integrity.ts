import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plugin, Rollup } from 'vite';
import { isVariant, precompress } from './compress.ts';

// [Note: code integrity of the web client]
// At the end of the build, when every file is on disk (public files included):
// 1. Every <script src> and <link rel=stylesheet|modulepreload> of each HTML page gets
//    integrity="sha384-…" of the file it loads, so a browser refuses a file that differs from
//    the one this build made. The files are same-origin, where Chromium checks integrity with
//    or without `crossorigin` (module scripts and modulepreload are fetched in CORS mode
//    anyway, and a same-origin answer is never opaque); Vite's own `crossorigin` is kept.
// 2. web-manifest.json lists the SHA-256 of every file the server serves, index.html after
//    step 1, in sorted order: the same sources give the same bytes. What SRI cannot reach
//    (the worker, WebAssembly) is covered by the manifest, which an organisation compares
//    with what its server serves (`tvault verify-web`).
// 3. Chunks loaded by import() after the page started (the screens behind the login) get
//    their integrity in the page too, as data: [Note: screens loaded after login].
// 4. Compressed variants of the files: [Note: precompressed files] (compress.ts).
// Inline script and <style> would be refused by the server's CSP, and code from another
// origin by both: the build fails on them here rather than in a browser.

export const MANIFEST_FILE = 'web-manifest.json';

// [Note: screens loaded after login]
// import() takes no integrity, and an import map that could carry one would be inline
// script, which the CSP refuses. So index.html carries, in a data block the browser never
// runs (<script type="application/json" id="lazy-integrity">), for each module the page may
// load later (by its path in the sources, as import.meta.glob names it) the files that
// import needs and their sha384: the chunk and the shared chunks it imports that the page
// has not loaded already. web/src/lazy-screens.ts fetches them first as
// <link rel="modulepreload" integrity=…>, so the browser refuses a file that differs, and
// only then calls import(), which finds them already in the page's module map. index.html
// itself is checked by its manifest hash, like everything else.
// Only modules the config names may be loaded this way (`integrity({ lazy })`): any other
// import() would run a file nothing checked, and fails the build.
export const LAZY_INTEGRITY_ID = 'lazy-integrity';

/** Module path in the sources ("/src/screens/records/index.ts") → build files to preload, in order. */
export type LazyFiles = Record<string, string[]>;

/** What a lazily loaded module needs, as written into index.html: URL and SRI of each file. */
export type LazyIntegrity = Record<string, { url: string; integrity: string }[]>;

export interface WebManifest {
  version: 1;
  /** Served path ("/index.html", "/assets/…") → SHA-256, lower-case hex. */
  files: Record<string, string>;
}

export interface IntegrityOptions {
  /** Source paths ("/src/…", from the Vite root) of the modules that may be loaded by import(). */
  lazy?: RegExp;
  /** The module (same form) that alone may call import(): it preloads with integrity first. */
  loader?: RegExp;
}

/** The Vite plugin: `plugins: [integrity({ lazy })]` in vite.config.ts. */
export function integrity({ lazy, loader }: IntegrityOptions = {}): Plugin {
  let base = '/';
  let root = '/';
  return {
    name: 'testimony-vault:integrity',
    apply: 'build',
    configResolved(config) {
      base = config.base;
      root = config.root;
    },
    writeBundle: {
      order: 'post',
      sequential: true,
      async handler(options, bundle) {
        if (!options.dir) throw new Error('integrity(): the build has no output folder');
        const files = lazyFiles(bundle, root, lazy);
        if (loader) onlyTheLoaderImports(bundle, root, loader, (id) => this.getModuleInfo(id));
        await sealBuild(options.dir, base, files);
      },
    },
  };
}

/**
 * Only the loader may call import(): it preloads each screen's files with their hashes
 * first. An import() anywhere else (one screen loading another) would fetch a file unchecked
 * whenever the loader had not preloaded it, so the build fails on one.
 */
export function onlyTheLoaderImports(bundle: Rollup.OutputBundle, root: string, loader: RegExp, info: (id: string) => Rollup.ModuleInfo | null): void {
  for (const item of Object.values(bundle)) {
    if (item.type !== 'chunk') continue;
    for (const id of item.moduleIds) {
      const m = info(id);
      const source = `/${path.relative(root, id).split(path.sep).join('/')}`;
      if ((m?.dynamicallyImportedIds?.length ?? 0) > 0 && !loader.test(source)) {
        throw new Error(`${source} calls import(), which no integrity covers: only the loader (${loader.source}) may`);
      }
    }
  }
}

/** The files each import() of the page needs beyond what the page loaded: [Note: screens loaded after login]. */
export function lazyFiles(bundle: Rollup.OutputBundle, root: string, allowed: RegExp | undefined): LazyFiles {
  const chunks = new Map<string, Rollup.OutputChunk>();
  for (const item of Object.values(bundle)) if (item.type === 'chunk') chunks.set(item.fileName, item);
  const closure = (start: string[], seen = new Set<string>()): Set<string> => {
    for (const file of start) {
      if (seen.has(file)) continue;
      seen.add(file);
      closure(chunks.get(file)?.imports ?? [], seen);
    }
    return seen;
  };
  const loadedByPage = closure([...chunks.values()].filter((c) => c.isEntry).map((c) => c.fileName));
  const out: LazyFiles = {};
  for (const chunk of chunks.values()) {
    if (!chunk.isDynamicEntry || loadedByPage.has(chunk.fileName)) continue;
    const source = chunk.facadeModuleId ? `/${path.relative(root, chunk.facadeModuleId).split(path.sep).join('/')}` : chunk.fileName;
    if (!allowed?.test(source)) throw new Error(`${source} is loaded by import(), which no integrity covers: load it through web/src/lazy-screens.ts, or statically`);
    const needed = [...closure([chunk.fileName])].filter((file) => !loadedByPage.has(file));
    for (const file of needed) {
      if ((chunks.get(file)?.viteMetadata?.importedCss.size ?? 0) > 0) throw new Error(`${file} (for ${source}) imports CSS, which a lazily loaded screen cannot bring with integrity: import it from the page's styles`);
    }
    out[source] = needed;
  }
  return out;
}

/** Adds SRI to the HTML pages in `outDir`, writes web-manifest.json and the compressed variants; returns the manifest. */
export async function sealBuild(outDir: string, base = '/', lazy: LazyFiles = {}): Promise<WebManifest> {
  const files = await readBuild(outDir);
  for (const [rel, bytes] of files) {
    if (!rel.endsWith('.html')) continue;
    const html = withLazyIntegrity(addIntegrity(bytes.toString('utf8'), rel, base, files), lazyIntegrity(lazy, base, files));
    files.set(rel, Buffer.from(html));
    await writeFile(path.join(outDir, rel), html);
  }
  const manifest = manifestOf(files);
  await writeFile(path.join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await precompress(outDir, [...files.keys(), MANIFEST_FILE]);
  return manifest;
}

/** Every regular file not under a dot-name (the files the server serves), but the manifest and compressed variants. */
async function readBuild(outDir: string): Promise<Map<string, Buffer>> {
  const all = new Map<string, Buffer>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(path.join(outDir, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.name.startsWith('.') || rel === MANIFEST_FILE) continue;
      if (entry.isFile()) all.set(rel, await readFile(path.join(outDir, rel)));
      else if (entry.isDirectory()) await walk(rel);
    }
  };
  await walk('');
  for (const rel of [...all.keys()]) if (isVariant(rel, all)) all.delete(rel);
  return all;
}

const sri = (bytes: Uint8Array) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

export function lazyIntegrity(lazy: LazyFiles, base: string, files: ReadonlyMap<string, Uint8Array>): LazyIntegrity {
  const out: LazyIntegrity = {};
  for (const [source, needed] of Object.entries(lazy).sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[source] = needed.map((file) => {
      const bytes = files.get(file);
      if (!bytes) throw new Error(`${file} (for ${source}) is not a file of the build`);
      return { url: `${base}${file}`, integrity: sri(bytes) };
    });
  }
  return out;
}

/** The page with its lazy integrity data block at the end of <head> (none when nothing is lazy). */
function withLazyIntegrity(html: string, data: LazyIntegrity): string {
  if (Object.keys(data).length === 0) return html;
  if (html.includes(`id="${LAZY_INTEGRITY_ID}"`)) throw new Error(`the page already holds a ${LAZY_INTEGRITY_ID} block`);
  const block = `<script type="application/json" id="${LAZY_INTEGRITY_ID}">${JSON.stringify(data)}</script>\n`;
  if (!/<\/head>/i.test(html)) throw new Error('the page has no </head> to hold the integrity of its lazily loaded screens');
  return html.replace(/<\/head>/i, (end) => `  ${block}  ${end}`);
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
    const expected = sri(builtFile(url, htmlPath, base, files));
    const present = attrs.get('integrity');
    if (present === expected) return tag;
    if (present !== undefined) throw new Error(`${htmlPath}: ${url} has integrity="${present}", but the file built is ${expected}`);
    return tag.replace(/\s*\/?>$/, (end) => ` integrity="${expected}"${end}`);
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
