import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { build, handle } from './helper.ts';
import { RUN_TS } from './run-ts.ts';
import { tvaultIn } from './tvault-run.ts';

// tvault in child processes against a real server: the walkthrough of the README, from
// registration to revocation and the verified history. The children run the sources (what
// was just edited, no build needed); test/package.test.ts runs the compiled bin/tvault.js.

const server = await build(t);
const root = path.resolve(import.meta.dirname, '..');
const work = await mkdtemp(path.join(tmpdir(), 'tvault-cli-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

/** Runs tvault as `who` (its own config folder), the passphrase on fd 3 as a script would. */
const tvault = tvaultIn(work);

const coordinator = handle('casa');
const lawyer = handle('lic');
// Passphrases above the client's floor (test/passphrase-strength.test.ts): random words.
const coordPass = 'girasol tranvía pelícano brújula';
const lawyerPass = 'cometa almendra túnel orquesta';
const firstPass = 'farol iguana cántaro velero';
const secondPass = 'pimienta glaciar rodilla anzuelo';
const thirdPass = 'mandarina sótano clavel tiburón';
const resumePass = 'columpio nopal antena murciélago';
const fourthPass = 'trébol campana lechuza pantano';

t.test('the walkthrough: register, testify with a photo, verify, share, export, revoke, history', async (t) => {
  let r = await tvault('coord', coordPass, ['--server', server.url, 'register', coordinator]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /(\w+ ){23}\w+/, 'shows 24 recovery words');
  r = await tvault('lawyer', lawyerPass, ['--server', server.url, 'register', lawyer]);
  t.equal(r.code, 0, r.stderr);

  const photo = path.join(work, 'IMG_0042.jpg');
  const bytes = randomBytes(300_000);
  await writeFile(photo, bytes);
  const narrative = path.join(work, 'narrative.txt');
  await writeFile(narrative, 'Cruzó el río de noche con su hija.');
  r = await tvault('coord', coordPass, ['--json', 'add', '--title', 'Testimonio de R.', '--narrative-file', narrative, '--place', 'Reynosa', '--attach', photo]);
  t.equal(r.code, 0, r.stderr);
  const added = JSON.parse(r.stdout) as { id: string; version: number; files: { name: string; size: number }[] };
  const id = added.id;
  t.same(added.files.map((f) => [f.name, f.size]), [['IMG_0042.jpg', 300000]], 'the photo attached, in the JSON');

  r = await tvault('coord', coordPass, ['--json', 'list']);
  t.same((JSON.parse(r.stdout) as { id: string; files: number }[]).map((x) => [x.id, x.files]), [[id, 1]], 'list --json');

  r = await tvault('coord', 'wrong', ['whoami']);
  t.equal(r.code, 3, 'a wrong passphrase has its own exit code');
  t.match(r.stderr, /^tvault: Wrong handle or passphrase/);

  r = await tvault('lawyer', lawyerPass, ['whoami']);
  const lawyerNumber = /safety number: ([\d ]+)/.exec(r.stdout)?.[1];
  t.ok(lawyerNumber, 'whoami shows the safety number');

  r = await tvault('coord', coordPass, ['share', id, lawyer]);
  t.not(r.code, 0, 'sharing with a contact never verified is refused by default');
  r = await tvault('coord', coordPass, ['contact', lawyer, '--confirm', lawyerNumber!]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /is verified/);
  r = await tvault('coord', coordPass, ['share', id, lawyer]);
  t.equal(r.code, 0, r.stderr);

  r = await tvault('lawyer', lawyerPass, ['--json', 'inbox']);
  t.equal((JSON.parse(r.stdout) as { recordId: string }[])[0]?.recordId, id, 'the lawyer sees it in the inbox');
  const out = path.join(work, 'export');
  r = await tvault('lawyer', lawyerPass, ['export', id, out]);
  t.equal(r.code, 0, r.stderr);
  t.ok((await readFile(path.join(out, 'files', 'IMG_0042.jpg'))).equals(bytes), 'the photo, byte-identical');
  const manifest = await readFile(path.join(out, 'MANIFEST.sha256'), 'utf8');
  t.match(manifest, /^[0-9a-f]{64} {2}files\/IMG_0042\.jpg\n$/, 'a sha256sum manifest');
  t.match(await readFile(path.join(out, 'CUSTODY.md'), 'utf8'), /SHA-256 at intake/);
  t.equal((JSON.parse(await readFile(path.join(out, 'record.json'), 'utf8')) as { fields: { title: string } }).fields.title, 'Testimonio de R.');
  t.notMatch(await readFile(path.join(out, 'record.json'), 'utf8'), /"key"/, 'no file key in the export');

  r = await tvault('coord', coordPass, ['revoke', id, lawyer]);
  t.equal(r.code, 0, r.stderr);
  r = await tvault('lawyer', lawyerPass, ['show', id]);
  t.equal(r.code, 7, 'the lawyer is refused (not found)');

  const exported = path.join(work, 'history.json');
  r = await tvault('coord', coordPass, ['history', id, '--export', exported]);
  t.equal(r.code, 0, r.stderr);
  for (const step of ['created the testimony', 'uploaded a file', `shared it with ${lawyer}`, 'downloaded a file', `took access away from ${lawyer}`]) t.match(r.stdout, step, `the history shows ${step}`);
  t.match(r.stdout, `${lawyer} read the testimony: refused`, "and the lawyer's refused read");
  r = await tvault('nobody', '', ['verify-export', exported]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^VERIFIED/m, 'the export verifies offline');

  const mode = (await stat(path.join(work, 'coord'))).mode & 0o777;
  t.equal(mode, 0o700, 'the config folder is readable by its owner only');
  const state = await readFile(path.join(work, 'coord', 'state.json'), 'utf8');
  t.notMatch(state, coordPass, 'no passphrase on disk');
});

t.test('tampering with the local state is detected', async (t) => {
  const file = path.join(work, 'coord', 'state.json');
  const state = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  t.ok(Object.keys(state).length > 0 && Object.keys(state).every((k) => k.startsWith('e2:')), 'every entry name is a keyed hash');
  // Flip one byte of every encrypted value: none may be trusted.
  for (const [name, value] of Object.entries(state)) {
    const bytes = Buffer.from(value, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    state[name] = bytes.toString('base64url');
  }
  await writeFile(file, JSON.stringify(state));
  const r = await tvault('coord', coordPass, ['contact', lawyer]);
  t.equal(r.code, 5, 'an integrity failure');
  t.match(r.stderr, /does not verify|altered/);
});

t.test('messages in Spanish', async (t) => {
  const r = await tvault('coord', 'wrong', ['whoami'], { LANG: 'es_MX.UTF-8' });
  t.match(r.stderr, /Usuario o contraseña incorrectos/);
  const r2 = await tvault('coord', 'wrong', ['--lang', 'en', 'whoami'], { LANG: 'es_MX.UTF-8' });
  t.match(r2.stderr, /Wrong handle or passphrase/, '--lang wins over LANG');
});

t.test('an unreachable server is one line and its own exit code', async (t) => {
  const r = await tvault('coord', coordPass, ['--server', 'http://127.0.0.1:9', 'whoami']);
  t.equal(r.code, 4);
  t.match(r.stderr, /^tvault: Cannot reach the server http:\/\/127\.0\.0\.1:9/);
});

t.test('account management and editing from a terminal client', async (t) => {
  const who = handle('admin');
  let r = await tvault('acct', firstPass, ['--server', server.url, 'register', who]);
  t.equal(r.code, 0, r.stderr);
  const words = r.stdout.trim().split('\n').pop()!;
  t.equal(words.split(' ').length, 24);

  r = await tvault('acct', `${firstPass}\n${secondPass}`, ['passwd']);
  t.equal(r.code, 0, r.stderr);
  t.equal((await tvault('acct', firstPass, ['whoami'])).code, 3, 'the old passphrase no longer opens the account');

  r = await tvault('acct', `${words}\n${thirdPass}`, ['recover', who]);
  t.equal(r.code, 0, r.stderr);
  r = await tvault('acct', thirdPass, ['--json', 'sessions']);
  t.equal(r.code, 0, r.stderr);
  t.ok((JSON.parse(r.stdout) as { current: boolean }[]).some((s) => s.current), 'sessions lists this one');

  r = await tvault('acct', thirdPass, ['invite', '--days', '2']);
  t.equal(r.code, 7, 'only an administrator makes invites');
  r = await tvault('coord', coordPass, ['invite', '--days', '2']);
  t.match(r.stdout, /\n[A-Za-z0-9_-]{16,}\n$/, 'the first account on the server is its administrator');

  r = await tvault('acct', thirdPass, ['--json', 'add', '--title', 'first', '--narrative-file', '-'], {});
  t.equal(r.code, 0, r.stderr);
  const id = (JSON.parse(r.stdout) as { id: string }).id;
  const editor = path.join(work, 'editor.sh');
  await writeFile(editor, '#!/bin/sh\nprintf "edited in memory" > "$1"\n', { mode: 0o700 });
  r = await tvault('acct', thirdPass, ['edit', id, '--editor', '--place', 'Tijuana'], { EDITOR: editor });
  t.equal(r.code, 0, r.stderr);
  r = await tvault('acct', thirdPass, ['--json', 'show', id]);
  const shown = JSON.parse(r.stdout) as { version: number; fields: { narrative: string; place: string } };
  t.same([shown.version, shown.fields.narrative, shown.fields.place], [2, 'edited in memory', 'Tijuana']);
  r = await tvault('acct', thirdPass, ['delete', id, '--yes', 'wrong']);
  t.match(r.stdout, /Not deleted/);
  r = await tvault('acct', thirdPass, ['delete', id, '--yes', id.slice(0, 8)]);
  t.equal(r.code, 0, r.stderr);
  t.equal((await tvault('acct', thirdPass, ['show', id])).code, 7, 'gone');
});

t.test('attach resumes an upload cut off mid-way when run again', async (t) => {
  const who = handle('resume');
  t.equal((await tvault('resume', resumePass, ['--server', server.url, 'register', who])).code, 0);
  const r = await tvault('resume', resumePass, ['--json', 'add', '--title', 'video', '--narrative-file', '-']);
  const id = (JSON.parse(r.stdout) as { id: string }).id;
  const video = path.join(work, 'long.mp4');
  const bytes = randomBytes(40 * 1024 * 1024 + 123);
  await writeFile(video, bytes);

  // First run: killed as soon as the server has committed a part.
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [...RUN_TS, path.join(root, 'cli/src/main.ts'), '--passphrase-fd', '3', 'attach', id, video], {
      cwd: work,
      env: { ...process.env, TVAULT_HOME: path.join(work, 'resume'), TVAULT_UNSAFE_TEST_KDF: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    (child.stdio[3] as NodeJS.WritableStream).end(`${resumePass}\n`);
    let killed = false;
    const poll = setInterval(async () => {
      try {
        const ids = (await server.db.selectFrom('files').select('id').where('record_id', '=', id).execute()).map((f) => f.id);
        const chunks = ids.length ? await server.db.selectFrom('file_chunks').select('idx').where('file_id', '=', ids[0]!).limit(1).execute() : [];
        if (chunks.length > 0 && !killed) {
          killed = true;
          clearInterval(poll);
          child.kill('SIGKILL');
        }
      } catch {
        // not started yet
      }
    }, 5);
    child.on('error', reject);
    child.on('close', () => {
      clearInterval(poll);
      if (killed) resolve();
      else reject(new Error('the upload finished before it could be cut'));
    });
  });
  const fileId = (await server.db.selectFrom('files').select('id').where('record_id', '=', id).executeTakeFirstOrThrow()).id;
  const stateFile = await readFile(path.join(work, 'resume', 'state.json'), 'utf8');
  t.notMatch(stateFile, /long\.mp4|uploads/, 'the interrupted upload is remembered, encrypted');
  const storedBefore = await server.db.selectFrom('file_chunks').select('idx').where('file_id', '=', fileId).execute();
  t.ok(storedBefore.length > 0, `some chunks were committed before the cut (${storedBefore.length})`);

  const again = await tvault('resume', resumePass, ['attach', id, video]);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, /long\.mp4: attached \(41943163 bytes/);
  const out = path.join(work, 'resume-export');
  t.equal((await tvault('resume', resumePass, ['export', id, out])).code, 0);
  t.ok((await readFile(path.join(out, 'files', 'long.mp4'))).equals(bytes), 'the file, byte-identical, attached once under the id of the first attempt');
  const shown = JSON.parse((await tvault('resume', resumePass, ['--json', 'show', id])).stdout) as { attachments: { fileId: string }[] };
  t.same(shown.attachments.map((a) => a.fileId), [fileId]);
});

t.test('a weak new passphrase is refused, in the language of the user, before anything is sent', async (t) => {
  const who = handle('weak');
  let r = await tvault('weak', 'migrante2024', ['--lang', 'es', '--server', server.url, 'register', who]);
  t.equal(r.code, 2, 'from --passphrase-fd nobody can be asked again: the usage exit code');
  t.match(r.stderr, /^tvault: Contraseña rechazada: es demasiado fácil de adivinar\. Está hecha de palabras o frases comunes\. Contiene una fecha o un año\./);
  t.match(r.stderr, /Elija cuatro o más palabras al azar/);
  t.notMatch(r.stdout + r.stderr, /Passphrase|rejected|refused/, 'nothing in English');
  r = await tvault('weak', `${who} 2024`, ['--server', server.url, 'register', who]);
  t.equal(r.code, 2);
  t.match(r.stderr, /contains your account name/);
  r = await tvault('weak', fourthPass, ['--server', server.url, 'register', who]);
  t.equal(r.code, 0, `the refused attempts did not take the handle: ${r.stderr}`);
  const words = r.stdout.trim().split('\n').pop()!;

  r = await tvault('weak', `${fourthPass}\ncontraseña123`, ['passwd']);
  t.equal(r.code, 2, 'passwd refuses it');
  t.match(r.stderr, /^tvault: Passphrase refused: it is too easy to guess\. It is made of common words or phrases\. It contains a sequence/);
  t.equal((await tvault('weak', fourthPass, ['whoami'])).code, 0, 'the passphrase is unchanged');
  r = await tvault('weak', `${words}\nqwertyuiop123`, ['recover', who]);
  t.equal(r.code, 2, 'recover refuses it');
  t.match(r.stderr, /a password many people use/);
  t.equal((await tvault('weak', fourthPass, ['whoami'])).code, 0, 'the passphrase is still unchanged');

  r = await tvault('weak-floor', 'migrante2024', ['--server', server.url, 'register', handle('floor')], { TVAULT_PASSPHRASE_FLOOR: '8,6' });
  t.equal(r.code, 0, `TVAULT_PASSPHRASE_FLOOR lowers the floor: ${r.stderr}`);
  r = await tvault('weak-floor', fourthPass, ['--server', server.url, 'register', handle('floor')], { TVAULT_PASSPHRASE_FLOOR: 'doce' });
  t.equal(r.code, 2);
  t.match(r.stderr, /TVAULT_PASSPHRASE_FLOOR=doce: expected LENGTH,GUESSES_LOG10/);
});
