import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { build, handle } from './helper.ts';
import { COORD_PASS, LAWYER_PASS, registerCoordinatorAndLawyer, tvaultIn } from './tvault-run.ts';
import { tvaultOnTerminal } from './tvault-pty.ts';

// The traps a newcomer fell into with tvault (issue 18), each run as a person would meet
// it: the real program in a child process, on a pseudo-terminal where a terminal matters.

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-traps-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const tvault = tvaultIn(work);

const coordinator = handle('casa');
const lawyer = handle('lic');
const coordPass = COORD_PASS;
const lawyerPass = LAWYER_PASS;
await registerCoordinatorAndLawyer(tvault, server.url, { coordinator, lawyer });
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

t.test('a missing attachment is named before the passphrase is asked, and nothing is created', async (t) => {
  // A wrong passphrase: had it been asked first, the answer would be "wrong passphrase".
  let r = await tvault('coord', 'wrong', ['add', '--title', 'half done', '--narrative-file', 'narrative.txt', '--attach', 'IMG_0042.jpg', 'IMG_0043.jpg']);
  t.equal(r.code, 2, 'a usage error');
  t.match(r.stderr, /^tvault: IMG_0043\.jpg: no such file\. Nothing was sent\./);
  r = await tvault('coord', coordPass, ['attach', '00000000-0000-4000-8000-000000000000', '.']);
  t.match(r.stderr, /^tvault: \.: not a file/, 'attach checks too');
  r = await tvault('coord', coordPass, ['--json', 'list']);
  t.notMatch(r.stdout, /half done/, 'no record was created');
});

t.test('add --attach reports the version the list shows', async (t) => {
  let r = await tvault('coord', coordPass, ['add', '--title', 'with a photo', '--narrative-file', 'narrative.txt', '--attach', 'IMG_0042.jpg']);
  t.equal(r.code, 0, r.stderr);
  const [, id, version] = /Testimony (\S+) saved \(version (\d+), with 1 file\(s\)\)/.exec(r.stdout) ?? [];
  t.ok(id, 'the final line names the version');
  t.notMatch(r.stdout, /\(version 1\)/, 'no earlier version announced as the result');
  r = await tvault('coord', coordPass, ['--json', 'show', id!]);
  t.equal((JSON.parse(r.stdout) as { version: number }).version, Number(version), 'the version said is the one stored');
});

t.test('sharing, revoking, the inbox, exports and their check, as a newcomer meets them', async (t) => {
  const id = await addRecord('Testimonio de R.');
  let r = await tvault('coord', coordPass, ['share', id, lawyer]);
  t.equal(r.code, 2, 'an unverified contact is refused');
  t.match(r.stderr, new RegExp(`tvault contact ${lawyer}`), 'with the command that verifies');
  t.notMatch(r.stderr, /verifyContact/, 'no library function named');

  const number = /safety number: ([\d ]+)/.exec((await tvault('lawyer', lawyerPass, ['whoami'])).stdout)?.[1];
  t.equal((await tvault('coord', coordPass, ['contact', lawyer, '--confirm', number!])).code, 0);
  t.equal((await tvault('coord', coordPass, ['share', id, lawyer])).code, 0);

  r = await tvault('lawyer', lawyerPass, ['inbox']);
  t.match(r.stdout, /Testimonio de R\./, 'the inbox shows the title');

  await writeFile(path.join(work, 'earlier-export.txt'), 'keep me');
  r = await tvault('lawyer', lawyerPass, ['export', id, '.']);
  t.equal(r.code, 2, 'export refuses a folder that is not empty');
  t.match(r.stderr, /already exists and is not empty/);
  t.equal(await readFile(path.join(work, 'earlier-export.txt'), 'utf8'), 'keep me');
  t.equal((await tvault('lawyer', lawyerPass, ['export', id, 'new-export'])).code, 0, 'a new folder is fine');

  r = await tvault('coord', coordPass, ['revoke', id, lawyer]);
  t.equal(r.code, 0, r.stderr);
  const version = (JSON.parse((await tvault('coord', coordPass, ['--json', 'show', id])).stdout) as { version: number }).version;
  r = await tvault('coord', coordPass, ['revoke', id, lawyer]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /already had no access/, 'revoking twice says so');
  const after = (JSON.parse((await tvault('coord', coordPass, ['--json', 'show', id])).stdout) as { version: number }).version;
  t.equal(after, version, 'and writes no new version (no second rotation)');

  r = await tvault('coord', coordPass, ['history', id, '--export', 'history.json']);
  t.equal(r.code, 0, r.stderr);
  r = await tvault('nobody', '', ['verify-export', 'history.json']);
  t.match(r.stdout, /^VERIFIED/m);
  t.match(r.stdout, /log key written in the file itself.*not that it comes from your server.*--key/s, 'without --key, says which key it trusted');
  const key = (JSON.parse(await readFile(path.join(work, 'history.json'), 'utf8')) as { verifierKey: string }).verifierKey;
  r = await tvault('nobody', '', ['verify-export', 'history.json', '--key', key]);
  t.match(r.stdout, /^VERIFIED/m);
  t.notMatch(r.stdout, /in the file itself/, 'with --key, no such warning');
});
