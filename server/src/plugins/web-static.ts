import { readdir } from 'node:fs/promises';
import path from 'node:path';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import { ERR } from '../errors.ts';

// [Note: serving the web client]
// The server serves the files of the web client's build (WEB_DIST_DIR), and nothing else: the
// regular files found there at start-up, dotfiles and symbolic links left out, looked up by
// their exact path. A URL is never turned into a file path, so there is no traversal to
// guard and no folder to list. A rebuild while running is served after a restart.
// Paths that are neither a file nor an API prefix and look like a screen of the app
// (`/records/…`) get index.html, so a reload on a screen works. `/` answers
// VAULT_ERR_WEB_NOT_BUILT when there is no build: the API runs without it.
// index.html and the manifest are revalidated on every load (no-cache); Vite's hashed files
// under /assets/ never change under their name, so browsers keep them (immutable).

// Never a page: the API, and /assets/ (a missing script must fail as one, not arrive as HTML).
const NOT_A_PAGE = /^\/(?:v1(?:\/|$)|health$|ready$|openapi\.json$|assets(?:\/|$))/;
const APP_SCREEN = /^(?:\/[\w~-]+)+\/?$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

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

function fileFor(files: Map<string, string>, pathname: string): string | undefined {
  const file = files.get(pathname === '/' ? '/index.html' : pathname);
  if (file !== undefined) return file;
  return !NOT_A_PAGE.test(pathname) && APP_SCREEN.test(pathname) ? 'index.html' : undefined;
}

export default fp<{ dir: string }>(
  async (app, { dir }) => {
    const root = path.resolve(dir);
    const files = await servedFiles(root);
    if (!files.has('/index.html')) {
      app.log.warn({ dir: root }, 'the web client is not built: serving the API only');
      app.get('/', { schema: { hide: true } }, async () => {
        throw new ERR.WEB_NOT_BUILT();
      });
      return;
    }
    await app.register(fastifyStatic, { root, serve: false, index: false, cacheControl: false, dotfiles: 'deny' });
    // One route for every file: logs name the pattern (/*), never the path asked for.
    app.get('/*', { schema: { hide: true } }, (request, reply) => {
      const pathname = request.url.split('?', 1)[0] ?? '/';
      const file = fileFor(files, pathname);
      if (file === undefined) return reply.callNotFound();
      reply.header('cache-control', file.startsWith('assets/') ? IMMUTABLE : 'no-cache');
      return reply.sendFile(file);
    });
  },
  { name: 'web-static', dependencies: ['errors', 'security'] },
);
