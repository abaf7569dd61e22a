import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { build, handle } from './helper.ts';
import { tvaultIn } from './tvault-run.ts';
import { tvaultOnTerminal } from './tvault-pty.ts';

// Records named as a person names them (issue 18): a short id from `tvault list`, or a
// title; several records with one title are offered as a numbered list on a terminal.

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-ref-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const tvault = tvaultIn(work);
const pass = 'girasol tranvía pelícano brújula';
const registered = await tvault('coord', pass, ['--server', server.url, 'register', handle('casa')]);
if (registered.code !== 0) throw new Error(registered.stderr);
await writeFile(path.join(work, 'pass'), `${pass}\n`);
await writeFile(path.join(work, 'narrative.txt'), 'Cruzó el río de noche.');
await writeFile(path.join(work, 'photo.jpg'), 'not really a photo');

async function add(title: string, ...extra: string[]): Promise<string> {
  const r = await tvault('coord', pass, ['--json', 'add', '--title', title, '--narrative-file', 'narrative.txt', ...extra]);
  return (JSON.parse(r.stdout) as { id: string }).id;
}

const reynosa = await add('Testimonio de R. en Reynosa', '--tag', 'reynosa', 'río', '--attach', 'photo.jpg');
const first = await add('Testimonio de M.');
const second = await add('Testimonio de M.');

t.test('list shows short ids, titles, tags, dates and the number of files', async (t) => {
  const r = await tvault('coord', pass, ['list']);
  t.equal(r.code, 0, r.stderr);
  const today = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' }).format(new Date());
  t.match(r.stdout, `${reynosa.slice(0, 8)}  Testimonio de R. en Reynosa  [reynosa, río]  ·  v2  ${today}  ·  1 file(s)`);
  t.notMatch(r.stdout, reynosa, 'not the whole id');
});

t.test('show, edit, export… by a unique prefix of the id or by title', async (t) => {
  let r = await tvault('coord', pass, ['--json', 'show', reynosa.slice(0, 6)]);
  t.equal(r.code, 0, r.stderr);
  t.equal((JSON.parse(r.stdout) as { id: string }).id, reynosa, 'six characters of the id');
  r = await tvault('coord', pass, ['show', reynosa.slice(0, 5)]);
  t.equal(r.code, 2, 'five are not enough');
  t.match(r.stderr, /at least 6 characters/);
  r = await tvault('coord', pass, ['edit', 'reynosa', '--place', 'Reynosa']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, reynosa, 'a word of the title');
  r = await tvault('coord', pass, ['export', 'Testimonio de R. en Reynosa', 'out']);
  t.equal(r.code, 0, r.stderr);
  r = await tvault('coord', pass, ['versions', 'Nadie']);
  t.equal(r.code, 2);
  t.match(r.stderr, /No testimony you can read has the id or title "Nadie"/);
});

t.test('a title several records share: a numbered list to pick from, or the ids for a script', async (t) => {
  let r = await tvault('coord', pass, ['show', 'Testimonio de M.']);
  t.equal(r.code, 2, 'a script is not guessed for');
  t.match(r.stderr, /Several testimonies match "Testimonio de M\.":/);
  for (const id of [first, second]) t.match(r.stderr, id.slice(0, 8));
  const listed = r.stderr.split('\n').filter((l) => /^ {2}\d\. /.test(l));
  const number = listed.findIndex((l) => l.includes(second.slice(0, 8))) + 1;
  r = await tvaultOnTerminal(work, 'coord', ['--json', '--passphrase-fd', '3', 'show', 'Testimonio de M.'], {
    shellTail: '3< pass',
    steps: [{ when: /Which one\? Type its number \(1 to 2\): /, type: `${number}\r` }],
  });
  t.equal(r.code, 0, r.code === 0 ? 'picked' : r.stdout);
  t.match(r.stdout, `"id": "${second}"`, 'the one picked');
});
