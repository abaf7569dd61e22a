import { readdir } from 'node:fs/promises';
import path from 'node:path';
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

const IMMUTABLE = 'public, max-age=31536000, immutable';
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
    for (const [url, file] of [['/', 'index.html'], ...files] as const) {
      if (!ROUTABLE.test(url)) {
        app.log.warn({ file }, 'not served: the file name holds characters a route cannot');
        continue;
      }
      const cacheControl = file.startsWith('assets/') ? IMMUTABLE : 'no-cache';
      app.get(url, { schema: { hide: true } }, (_request, reply) => reply.header('cache-control', cacheControl).sendFile(file));
    }
  },
  { name: 'web-static', dependencies: ['errors', 'security'] },
);
