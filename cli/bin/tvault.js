#!/usr/bin/env node
// Runs the compiled command (cli/dist, made by `npm run build`, which `npm start` and
// `npm test` run first): plain JavaScript, no TypeScript loader at run time.
const main = new URL('../dist/main.js', import.meta.url);
try {
  await import(main.href);
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || err.url !== main.href) throw err;
  console.error('tvault: not built yet; run `npm run build` in the repository first');
  process.exit(1);
}
