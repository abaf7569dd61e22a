import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import { ERR } from '../errors.ts';

// [Note: serving the web client]
// The server serves the files of the web client's build (WEB_DIST_DIR), and nothing else:
// one route per regular file found there at start-up (dotfiles and symbolic links left out),
// plus `/` for index.html. A URL is never turned into a file path, so there is no traversal
// to guard and no folder to list; any other path is the usual 404. There is no fallback to
// index.html for other paths: the app keeps its screens in memory, never in the address bar
// (web/src/state/routes.ts). A rebuild while running is served after a restart.
// `/` answers VAULT_ERR_WEB_NOT_BUILT when there is no build: the API runs without it.
// index.html and the manifest are revalidated on every load (no-cache); Vite's hashed files
// under /assets/ never change under their name, so browsers keep them (immutable).
//
// [Note: compressed answers]
// The build holds `F.br` and `F.gz` beside a file F (web/build/compress.ts). They are not
// files of their own, with no route: @fastify/static's preCompressed sends one as F with
// `Content-Encoding` when the browser's Accept-Encoding takes it (brotli first), and F
// itself otherwise, always with `Vary: Accept-Encoding`. What the browser decodes is F, so
// Subresource Integrity and web-manifest.json (over F) hold for every answer, and
// `tvault verify-web` checks the encoded answers a browser gets. At start every variant is
// decoded and compared with its file: one left from another build would serve other code
// under the same name, so a file with such a variant is served uncompressed, and the log
// says which.

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The variants @fastify/static's preCompressed looks for, and how to decode each. */
const VARIANTS: [suffix: string, decode: (b: Buffer) => Buffer][] = [
  ['.br', brotliDecompressSync],
  ['.gz', gunzipSync],
  ['.deflate', inflateSync],
];
// Names a route holds literally (the router reads ':' and '*' as parameters); Vite's are.
const ROUTABLE = /^\/[\w~./-]*$/;

/** URL path → path inside `root`, of every regular file not under a dot-name. */
async function servedFiles(root: string, dir = ''): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  let entries;
  try {
    entries = await readdir(path.join(root, dir), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw err;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isFile()) files.set(`/${rel}`, rel);
    else if (entry.isDirectory()) for (const [url, file] of await servedFiles(root, rel)) files.set(url, file);
  }
  return files;
}

/** Whether every variant of `file` decodes to its bytes. */
async function variantsMatch(root: string, file: string, variants: ReadonlySet<string>): Promise<boolean> {
  const own = VARIANTS.filter(([suffix]) => variants.has(file + suffix));
  if (own.length === 0) return true;
  const bytes = await readFile(path.join(root, file));
  for (const [suffix, decode] of own) {
    try {
      if (!decode(await readFile(path.join(root, file + suffix))).equals(bytes)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The routes of `files`, in a context of their own with its @fastify/static (preCompressed or not). */
async function serveFiles(app: FastifyInstance, root: string, files: [url: string, file: string][], preCompressed: boolean): Promise<void> {
  if (files.length === 0) return;
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, { root, serve: false, index: false, cacheControl: false, dotfiles: 'deny', preCompressed });
    for (const [url, file] of files) {
      const cacheControl = file.startsWith('assets/') ? IMMUTABLE : 'no-cache';
      scope.get(url, { schema: { hide: true } }, (_request, reply) => reply.header('cache-control', cacheControl).sendFile(file));
    }
  });
}

export default fp<{ dir: string }>(
  async (app, { dir }) => {
    const root = path.resolve(dir);
    const found = await servedFiles(root);
    const variants = new Set<string>();
    for (const file of found.values()) if (VARIANTS.some(([suffix]) => file.endsWith(suffix) && found.has(`/${file.slice(0, -suffix.length)}`))) variants.add(file);
    const files = new Map([...found].filter(([, file]) => !variants.has(file)));
    if (!files.has('/index.html')) {
      app.log.warn({ dir: root }, 'the web client is not built: serving the API only');
      app.get('/', { schema: { hide: true } }, async () => {
        throw new ERR.WEB_NOT_BUILT();
      });
      return;
    }
    const compressed: [string, string][] = [];
    const plain: [string, string][] = [];
    for (const [url, file] of [['/', 'index.html'], ...files] as const) {
      if (!ROUTABLE.test(url)) {
        app.log.warn({ file }, 'not served: the file name holds characters a route cannot');
        continue;
      }
      if (await variantsMatch(root, file, variants)) compressed.push([url, file]);
      else {
        app.log.error({ file }, 'served uncompressed: a compressed variant of it (.br, .gz) is not the same file; rebuild the web client');
        plain.push([url, file]);
      }
    }
    await serveFiles(app, root, compressed, true);
    await serveFiles(app, root, plain, false);
  },
  { name: 'web-static', dependencies: ['errors', 'security'] },
);
