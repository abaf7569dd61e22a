import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { build } from 'vite';
import { addIntegrity, integrity, LAZY_INTEGRITY_ID, MANIFEST_FILE, type LazyIntegrity, type WebManifest } from '../web/build/integrity.ts';

// The Vite plugin on a small fixture app (not the real web client): Subresource Integrity in
// index.html matches the files built, the lazily loaded chunk and what it imports included
// (as data in the page), web-manifest.json lists every file served — the worker and the lazy
// chunk included — with its SHA-256, the same on every build, and every compressed variant
// decodes to its file.

const work = await mkdtemp(path.join(tmpdir(), 'tvault-vite-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const app = path.join(work, 'app');

const fixture: Record<string, string> = {
  'index.html': '<!doctype html><html><head><meta charset="utf-8"><link rel="manifest" href="/app.webmanifest"><title>Bóveda</title></head><body><script type="module" src="/main.js"></script></body></html>\n',
  'main.js': "import './style.css';\nconst worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });\nworker.postMessage('hola');\nimport('./lazy.js').then((m) => m.show());\nimport('./other.js').then((m) => m.other());\n",
  'style.css': 'body { font-size: 120% }\n',
  'worker.js': 'self.onmessage = (e) => self.postMessage(e.data);\n',
  'lazy.js': "import { mark } from './shared.js';\nexport function show() { document.title = mark('listo'); }\n",
  'other.js': "import { mark } from './shared.js';\nexport const other = () => mark('otro');\n",
  'shared.js': 'export const mark = (s) => `[${s}]`;\n',
  'public/app.webmanifest': '{"name":"Bóveda"}\n',
};
for (const [file, text] of Object.entries(fixture)) {
  await mkdir(path.dirname(path.join(app, file)), { recursive: true });
  await writeFile(path.join(app, file), text);
}

const LAZY = /^\/(lazy|other)\.js$/;

async function viteBuild(outDir: string, root = app, lazy: RegExp | null = LAZY): Promise<void> {
  await build({ root, configFile: false, logLevel: 'silent', plugins: [integrity(lazy ? { lazy } : {})], build: { outDir, emptyOutDir: true } });
}

async function filesOf(dir: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesOf(dir, rel)));
    else out.push(rel);
  }
  return out;
}

const digest = (algorithm: string, bytes: Buffer, encoding: 'hex' | 'base64') => createHash(algorithm).update(bytes).digest(encoding);

t.test('index.html: integrity of every script and stylesheet is the sha384 of the file built', async (t) => {
  const out = path.join(work, 'out1');
  await viteBuild(out);
  const html = await readFile(path.join(out, 'index.html'), 'utf8');
  const tags = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="(\/assets\/[^"]+)"[^>]*>/g)];
  t.equal(tags.length, 2, 'the entry script and its stylesheet');
  for (const [tag, url] of tags) {
    const sri = `sha384-${digest('sha384', await readFile(path.join(out, url!)), 'base64')}`;
    t.ok(tag.includes(`integrity="${sri}"`), `${url}: ${sri}`);
  }
  t.match(html, /<link rel="manifest" href="\/app.webmanifest">/, 'links without SRI left as they were');
});

t.test('web-manifest.json: every file served, its SHA-256, sorted, the same on every build', async (t) => {
  const out = path.join(work, 'out2');
  await viteBuild(out);
  const text = await readFile(path.join(out, MANIFEST_FILE), 'utf8');
  const manifest = JSON.parse(text) as WebManifest;
  t.equal(manifest.version, 1);
  const files = (await filesOf(out)).filter((f) => f !== MANIFEST_FILE && !/\.(br|gz)$/.test(f)).sort();
  t.same(Object.keys(manifest.files), files.map((f) => `/${f}`), 'every file but the manifest itself, in order');
  t.ok(files.some((f) => /^assets\/worker-.*\.js$/.test(f)), 'the worker is listed');
  t.ok(files.some((f) => /^assets\/lazy-.*\.js$/.test(f)), 'the lazy chunk is listed');
  t.notOk(Object.keys(manifest.files).some((f) => /\.(br|gz)$/.test(f)), 'compressed variants are not');
  t.ok(files.includes('app.webmanifest'), 'public files are listed');
  for (const f of files) t.equal(manifest.files[`/${f}`], digest('sha256', await readFile(path.join(out, f)), 'hex'), f);

  await viteBuild(path.join(work, 'out3'));
  t.equal(await readFile(path.join(work, 'out3', MANIFEST_FILE), 'utf8'), text, 'deterministic');
});

t.test('chunks loaded by import(): their integrity is in the page, as data, with what they import', async (t) => {
  const out = path.join(work, 'out-lazy');
  await viteBuild(out);
  const html = await readFile(path.join(out, 'index.html'), 'utf8');
  const block = new RegExp(`<script type="application/json" id="${LAZY_INTEGRITY_ID}">([^<]*)</script>`).exec(html);
  t.ok(block, 'a data block the browser does not run');
  const table = JSON.parse(block![1]!) as LazyIntegrity;
  t.same(Object.keys(table), ['/lazy.js', '/other.js'], 'each lazily loaded module, by its path in the sources');
  const lazy = table['/lazy.js']!;
  t.match(lazy[0]!.url, /^\/assets\/lazy-.*\.js$/, 'the chunk itself first');
  t.equal(lazy.length, 2, 'and the shared chunk it imports');
  t.same(table['/other.js']![1], lazy[1], 'the same shared chunk for the other');
  for (const { url, integrity } of [...lazy, table['/other.js']![0]!]) {
    t.equal(integrity, `sha384-${digest('sha384', await readFile(path.join(out, url)), 'base64')}`, url);
  }
  t.notMatch(html, /modulepreload[^>]*lazy-/, 'nothing of them is fetched with the page');
});

t.test('an import() the config does not name fails the build: nothing would check it', async (t) => {
  await t.rejects(viteBuild(path.join(work, 'out-unnamed'), app, /^\/lazy\.js$/), /\/other\.js is loaded by import\(\), which no integrity covers/);
  await t.rejects(viteBuild(path.join(work, 'out-none'), app, null), /is loaded by import\(\), which no integrity covers/);
});

t.test('an import() outside the loader fails the build: a screen loading another would skip the preload with integrity', async (t) => {
  const nested = path.join(work, 'app-nested');
  await mkdir(nested, { recursive: true });
  for (const [file, text] of Object.entries(fixture)) {
    await mkdir(path.dirname(path.join(nested, file)), { recursive: true });
    await writeFile(path.join(nested, file), text);
  }
  const buildNested = (out: string) => build({ root: nested, configFile: false, logLevel: 'silent', plugins: [integrity({ lazy: LAZY, loader: /^\/main\.js$/ })], build: { outDir: path.join(work, out), emptyOutDir: true } });
  await buildNested('out-loader-ok');
  await writeFile(path.join(nested, 'lazy.js'), `${fixture['lazy.js']}export const more = () => import('./other.js');\n`);
  await t.rejects(buildNested('out-loader-stray'), /\/lazy\.js calls import\(\), which no integrity covers/);
});

t.test('compressed variants: brotli and gzip of the text files, each decoding to its file', async (t) => {
  const out = path.join(work, 'out-compressed');
  await viteBuild(out);
  const all = await filesOf(out);
  const variants = all.filter((f) => /\.(br|gz)$/.test(f));
  t.ok(variants.length >= 2, `variants written: ${variants.join(', ')}`);
  for (const v of variants) {
    const original = await readFile(path.join(out, v.replace(/\.(br|gz)$/, '')));
    const packed = await readFile(path.join(out, v));
    t.ok((v.endsWith('.br') ? brotliDecompressSync(packed) : gunzipSync(packed)).equals(original), `${v} decodes to its file`);
    t.ok(packed.length < original.length, `${v} is smaller`);
  }
  t.ok(variants.includes('index.html.br') && variants.includes(`${MANIFEST_FILE}.gz`), 'the page and the manifest too');
});

t.test('the build fails on what the CSP would refuse', async (t) => {
  const bad = path.join(work, 'bad');
  await mkdir(bad);
  await writeFile(path.join(bad, 'main.js'), 'console.log(1);\n');
  await writeFile(path.join(bad, 'index.html'), '<!doctype html><script type="module" src="/main.js"></script><script>alert(1)</script>\n');
  await t.rejects(viteBuild(path.join(work, 'bad-out'), bad), /inline <script> is refused by the CSP/);
  const files = new Map([['assets/a.js', Buffer.from('a')]]);
  t.throws(() => addIntegrity('<script src="https://cdn.example/x.js"></script>', 'index.html', '/', files), /not of this origin/);
  t.throws(() => addIntegrity('<style>body{}</style>', 'index.html', '/', files), /inline <style>/);
  t.throws(() => addIntegrity('<script type="module" src="/assets/b.js"></script>', 'index.html', '/', files), /not a file of the build/);
});

t.test('modulepreload links are covered too', async (t) => {
  const files = new Map([['assets/a.js', Buffer.from('export {}')]]);
  const sri = `sha384-${digest('sha384', files.get('assets/a.js')!, 'base64')}`;
  t.equal(
    addIntegrity('<link rel="modulepreload" crossorigin href="/assets/a.js"><script type="application/json">{}</script>', 'index.html', '/', files),
    `<link rel="modulepreload" crossorigin href="/assets/a.js" integrity="${sri}"><script type="application/json">{}</script>`,
  );
});
