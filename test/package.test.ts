import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

// The packages as an application gets them: built, packed with `npm pack`, installed from
// the tarballs into an empty folder (third-party dependencies from the registry), then
// imported by plain Node 20 (no TypeScript loader, no source condition) and type-checked by
// a TypeScript consumer that sees only the published declarations.

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const app = await mkdtemp(path.join(tmpdir(), 'tvault-package-'));
t.teardown(() => rm(app, { recursive: true, force: true }));

// Children get no NODE_OPTIONS: tap's loader and the "@testimony-vault/source" condition
// would otherwise follow them in, and the point is that nothing but the tarballs is needed.
const env: NodeJS.ProcessEnv = { ...process.env };
delete env.NODE_OPTIONS;
const opts = { env, maxBuffer: 16 * 1024 * 1024 };

t.before(async () => {
  // Not the server step: scripts/start.sh (test/server-process.test.ts) may be running its bundle.
  await run(process.execPath, ['scripts/build.mjs', 'protocol', 'client-lib', 'cli'], { ...opts, cwd: root });
  await run('npm', ['pack', '-w', 'protocol', '-w', 'client-lib', '-w', 'cli', '--pack-destination', app, '--silent'], { ...opts, cwd: root });
  const tarballs = (await readdir(app)).filter((f) => f.endsWith('.tgz')).map((f) => `./${f}`);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'an-application', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs], { ...opts, cwd: app });
});

t.test('the tarballs hold compiled JavaScript and declarations, not the sources', async (t) => {
  const client = path.join(app, 'node_modules/@testimony-vault/client');
  t.same((await readdir(client)).sort(), ['dist', 'package.json']);
  const dist = await readdir(path.join(client, 'dist'));
  t.ok(dist.includes('index.js') && dist.includes('index.d.ts'), 'dist/index.js and dist/index.d.ts');
  t.notOk(dist.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript source');
});

t.test('plain Node imports both entry points and uses them', async (t) => {
  const probe = `
    import { Vault, cryptoReady, merkle, KDF_FLOOR } from '@testimony-vault/client';
    import * as node from '@testimony-vault/client/node';
    import { recordBodyAad } from '@testimony-vault/protocol';
    await cryptoReady();
    const hex = (b) => Buffer.from(b).toString('hex');
    console.log(JSON.stringify({
      execArgv: process.execArgv,
      resolved: [import.meta.resolve('@testimony-vault/client'), import.meta.resolve('@testimony-vault/client/node')],
      vault: typeof Vault, sameVault: node.Vault === Vault, register: typeof Vault.register,
      nodeOnly: [typeof node.FileStateStore, typeof node.toNodeReadable],
      kdfFloor: KDF_FLOOR,
      emptyRoot: hex(merkle.emptyRootHash()),
      emptyLeaf: hex(merkle.hashLeaf(new Uint8Array(0))),
      aadBytes: recordBodyAad('00000000-0000-4000-8000-000000000000', 1, 1).length,
    }));`;
  await writeFile(path.join(app, 'probe.mjs'), probe);
  const { stdout } = await run(process.execPath, ['probe.mjs'], { ...opts, cwd: app });
  const out = JSON.parse(stdout) as Record<string, unknown>;
  t.same(out.execArgv, [], 'no loader');
  t.match(out.resolved, [/\/node_modules\/@testimony-vault\/client\/dist\/index\.js$/, /\/dist\/node\/index\.js$/], 'from the installed dist/');
  t.equal(out.vault, 'function');
  t.equal(out.register, 'function');
  t.ok(out.sameVault, '/node re-exports the same Vault');
  t.same(out.nodeOnly, ['function', 'function'], '/node adds FileStateStore and toNodeReadable');
  t.same(out.kdfFloor, { opsLimit: 3, memLimit: 256 * 1024 * 1024 });
  // RFC 6962: the empty tree is SHA-256(""), a leaf is SHA-256(0x00 ‖ data).
  t.equal(out.emptyRoot, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  t.equal(out.emptyLeaf, '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  t.equal(out.aadBytes, 'tvault/v1/record-body'.length + 16 + 4 + 4);
});

t.test('a TypeScript application type-checks against the published declarations', async (t) => {
  const consumer = `
    import { Vault, merkle, type VaultRecord } from '@testimony-vault/client';
    import { FileStateStore } from '@testimony-vault/client/node';
    import { recordBodyAad } from '@testimony-vault/protocol';
    // @ts-expect-error a class is typed as a class, not as any
    const a: number = Vault;
    // @ts-expect-error a class is typed as a class, not as any
    const b: number = FileStateStore;
    const root: Uint8Array = merkle.emptyRootHash();
    const aad: Uint8Array = recordBodyAad('00000000-0000-4000-8000-000000000000', 1, 1);
    export const used: unknown[] = [a, b, root, aad, null as VaultRecord | null];`;
  await writeFile(path.join(app, 'consumer.ts'), consumer);
  const config = {
    compilerOptions: {
      module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true,
      skipLibCheck: true, types: ['node'], typeRoots: [path.join(root, 'node_modules/@types')],
    },
    files: ['consumer.ts'],
  };
  await writeFile(path.join(app, 'tsconfig.json'), JSON.stringify(config));
  const r = await run(process.execPath, [tsc, '-p', app], { ...opts, cwd: app }).then(
    () => ({ code: 0, stdout: '' }),
    (e: { code: number; stdout: string }) => e,
  );
  t.equal(r.code, 0, `no type errors ${r.stdout}`);
});

t.test('the installed tvault runs compiled JavaScript', async (t) => {
  const { stdout } = await run(path.join(app, 'node_modules/.bin/tvault'), ['--lang', 'es', '--help'], { ...opts, cwd: app });
  t.match(stdout, /^Uso: tvault/, 'the compiled tvault speaks Spanish, help included');
  t.match(stdout, /verify-export/, 'every command loaded');
});
