import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { build } from 'esbuild';

// The client core must bundle for browsers: no Node built-in may be reachable from index.ts,
// nor from the protocol package it imports (both bundled from their sources).

t.test('the client core bundles for the browser without Node built-ins', async (t) => {
  const result = await build({
    entryPoints: [fileURLToPath(import.meta.resolve('@testimony-vault/client'))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    conditions: ['@testimony-vault/source'],
    external: [],
  });
  const inputs = Object.keys(result.metafile.inputs);
  const nodeImports = Object.values(result.metafile.inputs)
    .flatMap((i) => i.imports.map((imp) => imp.path))
    .filter((p) => p.startsWith('node:') || builtinModules.includes(p));
  t.same(nodeImports, [], 'no Node built-in imported');
  t.ok(inputs.some((i) => i.includes('libsodium')), 'libsodium is bundled');
  t.ok(inputs.some((i) => i.startsWith('protocol/src/')), 'the protocol package is bundled, from its sources');
  t.notOk(inputs.some((i) => i.includes('/node/')), 'the Node entry point is not pulled in');
});

t.test('the check can fail: the Node entry point does import Node built-ins', async (t) => {
  await t.rejects(
    build({
      entryPoints: [fileURLToPath(import.meta.resolve('@testimony-vault/client/node'))],
      bundle: true,
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    }),
  );
});
