// The JavaScript of the web client's first page (the login), from a build: the module
// script and the modulepreload links of index.html, which is all the page runs before the
// crypto worker starts (test/web/first-page.test.ts checks that in a browser). For each file:
// its size, and what the server sends to a browser that accepts brotli or gzip (the build's
// .br / .gz variant: server/src/plugins/web-static.ts). Issue 15's target: under 150 KiB.
//
//   npx tsx scripts/web-first-page.ts [web/dist]
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dist = path.resolve(process.argv[2] ?? 'web/dist');
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const urls = [
  ...html.matchAll(/<script\b[^>]*\btype="module"[^>]*\bsrc="([^"]+)"/g),
  ...html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"/g),
].map((m) => m[1]!);

const size = (file: string) => (existsSync(file) ? readFileSync(file).length : undefined);
const kib = (n: number) => (n / 1024).toFixed(1);
const rows = urls.map((url) => {
  const file = path.join(dist, url.replace(/^\//, ''));
  const raw = size(file)!;
  return { url, raw, br: size(`${file}.br`) ?? raw, gzip: size(`${file}.gz`) ?? raw };
});

console.log('| script | size (KiB) | sent, brotli (KiB) | sent, gzip (KiB) |\n| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.url} | ${kib(r.raw)} | ${kib(r.br)} | ${kib(r.gzip)} |`);
const total = (key: 'raw' | 'br' | 'gzip') => rows.reduce((n, r) => n + r[key], 0);
console.log(`| **first page, ${rows.length} files** | **${kib(total('raw'))}** | **${kib(total('br'))}** | **${kib(total('gzip'))}** |`);
