// npm run build — compiles the workspace into plain JavaScript, in dependency order:
// protocol/dist, client-lib/dist (with .d.ts declarations, for applications that install
// the packages), cli/dist (what bin/tvault.js runs), then the server bundle in dist/server
// (scripts/build-server.mjs), and the web client into web/dist. `npm start` and `npm test`
// run it first, so a fresh clone needs only the README's two commands.
//
// A package whose inputs have not changed since its last build is skipped (a restart of
// `npm start` costs no compilation); `--force` rebuilds everything. A package is rebuilt
// whenever one it depends on was, since it compiles against that one's declarations.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const stamps = path.join(root, 'node_modules', '.cache', 'testimony-vault-build');
const shared = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

/** Newest modification time of the files under these paths (0 when none exists). */
function newest(paths) {
  let latest = 0;
  for (const p of paths) {
    const full = path.join(root, p);
    if (!existsSync(full)) continue;
    const s = statSync(full);
    latest = Math.max(latest, s.isDirectory() ? newest(readdirSync(full).map((e) => path.join(p, e))) : s.mtimeMs);
  }
  return latest;
}

/** Compiles one package with tsc into its dist/, unless it is up to date. Returns whether it ran. */
function compile(pkg, upstreamRebuilt) {
  const stamp = path.join(stamps, pkg);
  const inputs = [...shared, `${pkg}/src`, `${pkg}/package.json`, `${pkg}/tsconfig.build.json`];
  const upToDate = existsSync(stamp) && existsSync(path.join(root, pkg, 'dist')) && newest(inputs) < statSync(stamp).mtimeMs;
  if (upToDate && !upstreamRebuilt && !force) return false;
  rmSync(stamp, { force: true });
  rmSync(path.join(root, pkg, 'dist'), { recursive: true, force: true });
  console.log(`build: ${pkg}`);
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', `${pkg}/tsconfig.build.json`], { cwd: root, stdio: 'inherit' });
  mkdirSync(stamps, { recursive: true });
  writeFileSync(stamp, '');
  return true;
}

/**
 * The server bundle (dist/server), skipped when its sources are unchanged: every start used
 * to empty and rewrite it, and two servers started at once (two test files in CI) had one
 * import a chunk the other's start had just deleted ("Cannot find module …embedded-….js").
 */
function buildServer() {
  const stamp = path.join(stamps, 'server');
  const inputs = [...shared, 'server/src', 'server/package.json', 'protocol/src', 'migrations', 'scripts/migrate.ts', 'scripts/build-server.mjs'];
  const upToDate = existsSync(stamp) && existsSync(path.join(root, 'dist/server/server.js')) && newest(inputs) < statSync(stamp).mtimeMs;
  if (upToDate && !force) return false;
  rmSync(stamp, { force: true });
  console.log('build: server');
  execFileSync(process.execPath, [path.join(root, 'scripts/build-server.mjs')], { cwd: root, stdio: 'inherit' });
  mkdirSync(stamps, { recursive: true });
  writeFileSync(stamp, '');
  return true;
}

/**
 * The web client (web/dist, served by the server at /): Vite bundles client-lib's compiled
 * dist/ for the browser, as any application installing the package would. Skipped when
 * neither its sources nor the library changed.
 */
function buildWeb(upstreamRebuilt) {
  const stamp = path.join(stamps, 'web');
  const inputs = [...shared, 'web/src', 'web/build', 'web/index.html', 'web/vite.config.ts', 'web/package.json'];
  const upToDate = existsSync(stamp) && existsSync(path.join(root, 'web/dist/index.html')) && newest(inputs) < statSync(stamp).mtimeMs;
  if (upToDate && !upstreamRebuilt && !force) return false;
  rmSync(stamp, { force: true });
  console.log('build: web');
  execFileSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', 'web'], { cwd: root, stdio: 'inherit' });
  mkdirSync(stamps, { recursive: true });
  writeFileSync(stamp, '');
  return true;
}

// In order; each step is told whether an earlier one rebuilt anything.
const steps = {
  protocol: (rebuilt) => compile('protocol', rebuilt),
  'client-lib': (rebuilt) => compile('client-lib', rebuilt),
  cli: (rebuilt) => compile('cli', rebuilt),
  // The server bundles protocol/src itself (esbuild), so it is rebuilt when that changed, not
  // when protocol/dist was. Nothing after it depends on its bundle, so it passes on only what
  // came before: it used to say "rebuilt", and the web client was rebuilt (its folder
  // emptied) by every start, under the feet of any server reading web/dist at that moment.
  server: (rebuilt) => {
    buildServer();
    return rebuilt;
  },
  web: (rebuilt) => buildWeb(rebuilt),
};

// `node scripts/build.mjs protocol client-lib` runs only the steps named (test/package.test.ts).
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unknown = only.filter((name) => !(name in steps));
if (unknown.length) throw new Error(`build: no step ${unknown.join(', ')} (steps: ${Object.keys(steps).join(', ')})`);
let rebuilt = false;
for (const [name, step] of Object.entries(steps)) {
  if (only.length === 0 || only.includes(name)) rebuilt = step(rebuilt) || rebuilt;
}
