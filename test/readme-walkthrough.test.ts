import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { build } from './helper.ts';
import { RUN_TS } from './run-ts.ts';
import { CLI_MAIN, COORD_PASS, LAWYER_PASS } from './tvault-run.ts';
import { onTerminal } from './tvault-pty.ts';

// The README's tvault walkthrough, pasted line by line as a newcomer would (issue 18): each
// command as written, in a folder that holds relato.txt and IMG_0042.jpg, on a terminal of
// its own. What the README leaves to the reader is done as it says: `tvault` on the path
// (here a wrapper in a temporary bin folder running the sources, like the alias to
// cli/bin/tvault.js), CODE and RECORD filled in from what tvault printed, "yes" answered to
// `tvault contact`. Only the passphrases come from a file (--passphrase-fd), one per
// config folder, and the server is this test's.

const root = path.resolve(import.meta.dirname, '..');
const readme = await readFile(path.join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Command line: `tvault`'));
const block = /A walkthrough[\s\S]*?```sh\n([\s\S]*?)```/.exec(section)?.[1];
const lines = (block ?? '').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

const server = await build(t, { REGISTRATION: 'invite' });
const work = await mkdtemp(path.join(tmpdir(), 'tvault-readme-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const home = path.join(work, 'home');
const bin = path.join(work, 'bin');
const folder = path.join(home, 'caso');
await mkdir(bin, { recursive: true });
await mkdir(path.join(home, '.config'), { recursive: true });
await mkdir(folder);
// The passphrase of whoever's config folder is in use, on fd 3.
await writeFile(path.join(home, '.config', 'tvault-coordinadora.pass'), `${COORD_PASS}\n`);
await writeFile(path.join(home, '.config', 'tvault-abogada.pass'), `${LAWYER_PASS}\n`);
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
await writeFile(
  path.join(bin, 'tvault'),
  `#!/bin/sh\nexec ${[process.execPath, ...RUN_TS, CLI_MAIN].map(quote).join(' ')} --passphrase-fd 3 "$@" 3< "$TVAULT_HOME.pass"\n`,
  { mode: 0o755 },
);
await writeFile(path.join(folder, 'relato.txt'), 'Cruzó el río de noche con su hija.');
const photo = randomBytes(150_000);
await writeFile(path.join(folder, 'IMG_0042.jpg'), photo);

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '').replace(/\r/g, '');

t.test("the README's walkthrough works when pasted", async (t) => {
  t.ok(lines.length >= 10, `the walkthrough was found in the README (${lines.length} commands)`);
  const filled: Record<string, string> = {};
  const exported: string[] = [];
  const outputs: string[] = [];
  for (const [i, line] of lines.entries()) {
    let command = line.replaceAll('http://127.0.0.1:8080', server.url);
    // An end date the calendar has passed would be refused: the same day of next year.
    const until = /--until (\d{4})(-\d{2}-\d{2})/.exec(command);
    if (until && Date.parse(`${until[1]}${until[2]}T23:59:59`) < Date.now()) command = command.replace(until[0], `--until ${new Date().getFullYear() + 1}${until[2]}`);
    for (const [name, value] of Object.entries(filled)) command = command.replace(new RegExp(`\\b${name}\\b`, 'g'), value);
    t.notMatch(command, /\bCODE\b|\bRECORD\b/, `${line}: its placeholders are known by now`);
    await writeFile(path.join(work, `step-${i}.sh`), [...exported, command].join('\n'));
    const r = await onTerminal(folder, `bash ${quote(path.join(work, `step-${i}.sh`))}`, {
      steps: [{ when: /Type "yes"/, type: 'yes\r' }],
      env: { HOME: home, PATH: `${bin}:${process.env.PATH}`, TVAULT_UNSAFE_TEST_KDF: '1', LANG: 'en_US.UTF-8', LC_ALL: '', TVAULT_HOME: '' },
    });
    const out = plain(r.stdout);
    outputs.push(out);
    t.equal(r.code, 0, r.code === 0 ? line : `${line}\n${out}`);
    if (command.startsWith('export ')) exported.push(command);
    if (/^tvault invite/.test(command)) filled.CODE = out.trim().split('\n').pop()!.trim();
    if (/^tvault list/.test(command)) filled.RECORD = /^([0-9a-f]{8})  Testimonio de R\./m.exec(out)?.[1] ?? 'RECORD';
  }
  const all = outputs.join('\n');
  t.match(all, /IMG_0042\.jpg: attached \(150000 bytes, SHA-256 [0-9a-f]{64}\)/);
  t.match(all, /lic-ramirez is verified/, '"yes" verified the contact');
  t.match(all, /Testimonio de R\./);
  t.ok((await readFile(path.join(folder, 'caso-R', 'files', 'IMG_0042.jpg'))).equals(photo), 'the export holds the photo, byte-identical');
  t.match(all, /took access away from lic-ramirez/);
  t.match(outputs.at(-1)!, /^VERIFIED/m, 'the history export verifies offline');
});
