// node scripts/build-server.mjs — compiles the server into dist/server/ for production start
// (`npm start` through scripts/build.mjs, the Dockerfile), with the migration command beside
// it. Plain JavaScript, so it runs right after `npm install`.
//
// Why: a server started with tsx carries the TypeScript loader and compiles every module at
// start-up, and Node's loader keeps per-module state for each of the hundreds of files in
// node_modules; one bundle compiled ahead of time idles at about 100 MiB of RSS instead of
// about 165 (docs/PERFORMANCE.md, "Files"). Tests and development keep running the
// TypeScript sources.
//
// Left outside the bundle: packages that load files next to their own code at run time
// (argon2's native addon, PGlite's WASM and data files); they are imported from node_modules.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'server');

await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // migrate.js: `npm run migrate` where only the compiled server is installed (the image).
  entryPoints: [
    { in: 'server/src/server.ts', out: 'server' },
    { in: 'scripts/migrate.ts', out: 'migrate' },
  ],
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The embedded database is a dynamic import: with splitting it stays a separate chunk,
  // loaded only when DATABASE_URL is unset.
  splitting: true,
  external: ['argon2', '@electric-sql/*'],
  // @testimony-vault/protocol is bundled from its sources (protocol/src), so the server's
  // build does not wait for the protocol package's own.
  conditions: ['@testimony-vault/source'],
  // CommonJS packages inside an ES module bundle still call require() (Node built-ins) and
  // may read __dirname.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
  legalComments: 'none',
  logLevel: 'warning',
});
