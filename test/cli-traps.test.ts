import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { build, handle } from './helper.ts';
import { tvaultIn } from './tvault-run.ts';
import { tvaultOnTerminal } from './tvault-pty.ts';

// The traps a newcomer fell into with tvault (issue 18), each run as a person would meet
// it: the real program in a child process, on a pseudo-terminal where a terminal matters.

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-traps-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const tvault = tvaultIn(work);

const coordinator = handle('casa');
const lawyer = handle('lic');
const coordPass = 'girasol tranvía pelícano brújula';
const lawyerPass = 'cometa almendra túnel orquesta';
for (const [who, pass, name] of [['coord', coordPass, coordinator], ['lawyer', lawyerPass, lawyer]] as const) {
  const r = await tvault(who, pass, ['--server', server.url, 'register', name]);
  if (r.code !== 0) throw new Error(r.stderr);
}
await writeFile(path.join(work, 'coord.pass'), `${coordPass}\n`);
await writeFile(path.join(work, 'narrative.txt'), 'Cruzó el río de noche con su hija.');
await writeFile(path.join(work, 'IMG_0042.jpg'), randomBytes(200_000));

async function addRecord(title: string): Promise<string> {
  const r = await tvault('coord', coordPass, ['--json', 'add', '--title', title, '--narrative-file', 'narrative.txt']);
  return (JSON.parse(r.stdout) as { id: string }).id;
}

// eslint-disable-next-line no-control-regex
const CURSOR_VISIBILITY = /\x1b\[\?(25|7)[hl]/g; // show/hide the cursor, line wrap on/off

t.test("the upload's final line, with its SHA-256, is not overwritten by the progress bar", async (t) => {
  const id = await addRecord('progress');
  const r = await tvaultOnTerminal(work, 'coord', ['--passphrase-fd', '3', 'attach', id, 'IMG_0042.jpg'], { shellTail: '3< coord.pass' });
  t.equal(r.code, 0, r.code === 0 ? 'attached' : r.stdout);
  const sha = /SHA-256 ([0-9a-f]{64})/.exec(r.stdout)?.[1];
  t.ok(sha, 'the line with the SHA-256 reached the terminal');
  const after = r.stdout.slice(r.stdout.lastIndexOf(sha!)).replace(CURSOR_VISIBILITY, '').replace(/\r\n/g, '\n');
  t.notMatch(after, /\r|\x1b\[/, 'nothing moves the cursor back over it afterwards');
});

t.test('`--narrative-file -` reads a pipe and still asks the passphrase, on the terminal', async (t) => {
  const r = await tvaultOnTerminal(work, 'coord', ['--json', 'add', '--title', 'from a pipe', '--narrative-file', '-'], {
    shellTail: '< narrative.txt',
    steps: [{ when: /Passphrase: /, type: `${coordPass}\r` }],
  });
  t.equal(r.code, 0, r.code === 0 ? 'added' : r.stdout);
  const id = (JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { id: string }).id;
  const shown = await tvault('coord', coordPass, ['--json', 'show', id]);
  t.equal((JSON.parse(shown.stdout) as { fields: { narrative: string } }).fields.narrative, 'Cruzó el río de noche con su hija.', 'the narrative came from the pipe');
  t.notMatch(r.stdout, coordPass, 'the passphrase was not echoed');
});

t.test('Ctrl-C says what happened and how to go on, not "Error: canceled"', async (t) => {
  let r = await tvaultOnTerminal(work, 'coord', ['whoami'], { steps: [{ when: /Passphrase: /, type: '\x03' }] });
  t.equal(r.code, 130, 'the exit code of an interrupt');
  t.notMatch(r.stdout, /Error: canceled/);
  t.match(r.stdout, /Canceled \(Ctrl-C\): nothing was sent or changed\. Run the same command again/);

  const id = await addRecord('interrupted upload');
  await writeFile(path.join(work, 'long.mp4'), randomBytes(48 * 1024 * 1024));
  r = await tvaultOnTerminal(work, 'coord', ['--passphrase-fd', '3', 'attach', id, 'long.mp4'], {
    shellTail: '3< coord.pass',
    steps: [{ when: /\| [1-9]\d?% \|/, type: '\x03' }],
  });
  t.equal(r.code, 130, 'interrupted mid-upload');
  t.match(r.stdout, new RegExp(`Interrupted: what was already sent is kept on the server for a day\\. To resume, run: tvault attach ${id} long\\.mp4`));
  const again = await tvault('coord', coordPass, ['attach', id, 'long.mp4']);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, /long\.mp4: attached \(50331648 bytes/, 'the command it gave resumes the upload');
});
