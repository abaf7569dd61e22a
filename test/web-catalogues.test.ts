import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';

// Every message a person reads in the web client is in Spanish and in English, from the
// catalogues: the two hold the same keys, and every key the code names literally is in both.

const web = path.resolve(import.meta.dirname, '../web/src');
type Tree = { [k: string]: string | Tree };

function keys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)));
}

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(p)));
    else if (/\.tsx?$/.test(entry.name)) out.push(p);
  }
  return out;
}

const es = keys(JSON.parse(await readFile(path.join(web, 'i18n/es.json'), 'utf8')) as Tree);
const en = keys(JSON.parse(await readFile(path.join(web, 'i18n/en.json'), 'utf8')) as Tree);

t.test('Spanish and English hold the same keys', async (t) => {
  t.same(es.filter((k) => !en.includes(k)), [], 'none only in Spanish');
  t.same(en.filter((k) => !es.includes(k)), [], 'none only in English');
});

t.test('every key named in the code is in the catalogues', async (t) => {
  const known = new Set(es.map((k) => k.replace(/_(one|other|many|few|two|zero)$/, '')));
  const missing: string[] = [];
  let named = 0;
  for (const file of await sources(web)) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) {
      named += 1;
      if (!known.has(m[1]!)) missing.push(`${path.relative(web, file)}: ${m[1]}`);
    }
  }
  t.ok(named > 300, `the code names ${named} keys literally`);
  t.same(missing, [], 'each of them is in the catalogues');
});

t.test('keys held in tables and built from a prefix are in the catalogues too', async (t) => {
  const tree = JSON.parse(await readFile(path.join(web, 'i18n/es.json'), 'utf8')) as Tree;
  const namespaces = Object.keys(tree).join('|');
  const known = new Set(es.map((k) => k.replace(/_(one|other|many|few|two|zero)$/, '')));
  const branch = (prefix: string) => prefix.split('.').reduce<Tree | string | undefined>((node, k) => (typeof node === 'object' ? node[k] : undefined), tree);
  const missing: string[] = [];
  let keys = 0;
  let prefixes = 0;
  for (const file of await sources(web)) {
    const text = await readFile(file, 'utf8');
    // 'errors.quota' in a table such as errors.ts KNOWN, or { key: 'errors.recoveryCount' }
    for (const m of text.matchAll(new RegExp(`'((?:${namespaces})\\.[a-zA-Z0-9_.]+)'`, 'g'))) {
      if (/\.(json|md)$/.test(m[1]!)) continue; // a file's name (record.json), not a key
      keys += 1;
      if (!known.has(m[1]!)) missing.push(`${path.relative(web, file)}: ${m[1]}`);
    }
    // `evidence.kind.${k}`: the prefix must be a group of keys
    for (const m of text.matchAll(new RegExp(`\`((?:${namespaces})(?:\\.[a-zA-Z0-9_]+)*)\\.\\$\\{`, 'g'))) {
      prefixes += 1;
      if (typeof branch(m[1]!) !== 'object') missing.push(`${path.relative(web, file)}: ${m[1]}.…`);
    }
  }
  t.ok(keys > 300 && prefixes > 5, `${keys} keys and ${prefixes} prefixes read`);
  t.same(missing, [], 'each of them is in the catalogues');
});
