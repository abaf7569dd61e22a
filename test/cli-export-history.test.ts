import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { build, handle } from './helper.ts';
import { RUN_TS } from './run-ts.ts';
import { COORD_PASS, registerCoordinatorAndLawyer, tvaultIn } from './tvault-run.ts';

// tvault export writes HISTORY.json beside MANIFEST.sha256 and the custody note, as the web
// client's evidence bundle does, and `tvault verify-export FOLDER` checks it: the real program
// in a child process, the export changed on disk as someone holding it could.

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-export-history-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const tvault = tvaultIn(work);
await registerCoordinatorAndLawyer(tvault, server.url, { coordinator: handle('casa'), lawyer: handle('lic') });
await writeFile(path.join(work, 'narrative.txt'), 'Lo detuvieron en el retén de la carretera.');
await writeFile(path.join(work, 'IMG_0042.jpg'), randomBytes(50_000));

async function exported(title: string, dir: string): Promise<string> {
  const added = await tvault('coord', COORD_PASS, ['--json', 'add', '--title', title, '--narrative-file', 'narrative.txt', '--attach', 'IMG_0042.jpg']);
  if (added.code !== 0) throw new Error(added.stderr);
  const id = (JSON.parse(added.stdout) as { id: string }).id;
  const r = await tvault('coord', COORD_PASS, ['export', id, dir]);
  if (r.code !== 0) throw new Error(r.stderr);
  return id;
}

const verify = (dir: string, lang: 'en' | 'es') => tvault('nobody', '', ['verify-export', dir], { LANG: lang === 'es' ? 'es_MX.UTF-8' : 'en_US.UTF-8' });

const dir = path.join(work, 'export');
const id = await exported('Testimonio de J.', dir);

t.test('the export holds the verified history of its record, and verify-export checks it', async (t) => {
  const history = JSON.parse(await readFile(path.join(dir, 'HISTORY.json'), 'utf8')) as { format: string; recordId: string; events: unknown[] };
  t.equal(history.format, 'tvault-audit-export/v1');
  t.equal(history.recordId, id, 'about this record');
  t.ok(history.events.length >= 2, 'with its creation and its file');
  const r = await verify(dir, 'en');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /1 file\(s\), each with the SHA-256/);
  t.match(r.stdout, /^VERIFIED/m);
  t.match(r.stdout, /created the testimony/, 'the history in words');
});

t.test('one byte of HISTORY.json changed: not verified, in English and in Spanish', async (t) => {
  const changed = path.join(work, 'changed');
  await cp(dir, changed, { recursive: true });
  const file = path.join(changed, 'HISTORY.json');
  const text = await readFile(file, 'utf8');
  // A character in the middle of the first event's leaf: what a forger would edit.
  const at = text.indexOf('"leaf": "') + '"leaf": "'.length + 20;
  await writeFile(file, text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1));
  let r = await verify(changed, 'en');
  t.equal(r.code, 5, 'the exit code of a failed integrity check');
  t.match(r.stderr, /NOT VERIFIED: HISTORY\.json does not verify .*changed after it was exported/);
  t.notMatch(r.stdout, /VERIFIED/);
  r = await verify(changed, 'es');
  t.equal(r.code, 5);
  t.match(r.stderr, /NO VERIFICADO: HISTORY\.json no se verifica .*Se modificó después de exportarlo/);

  // The court's verifier in the sources (npm run verify-export) takes the folder too.
  const script = (folder: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [...RUN_TS, 'scripts/verify-export.ts', folder], { cwd: path.resolve(import.meta.dirname, '..') }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      ),
    );
  const good = await script(dir);
  t.equal(good.code, 0, good.stderr);
  t.match(good.stdout, /^VERIFIED$/m);
  const bad = await script(changed);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /NOT VERIFIED: HISTORY\.json does not verify/);
});

t.test("another record's history put in its place is refused", async (t) => {
  const other = path.join(work, 'other');
  await exported('Otro testimonio', other);
  const swapped = path.join(work, 'swapped');
  await cp(dir, swapped, { recursive: true });
  await cp(path.join(other, 'HISTORY.json'), path.join(swapped, 'HISTORY.json'));
  const r = await verify(swapped, 'en');
  t.equal(r.code, 5);
  t.match(r.stderr, `is the history of record`);
  t.match(r.stderr, id, "names this export's record");
});

t.test('a file changed after export is named', async (t) => {
  const changed = path.join(work, 'changed-file');
  await cp(dir, changed, { recursive: true });
  const photo = path.join(changed, 'files', 'IMG_0042.jpg');
  const bytes = await readFile(photo);
  bytes[100]! ^= 1;
  await writeFile(photo, bytes);
  const r = await verify(changed, 'es');
  t.equal(r.code, 5);
  t.match(r.stderr, /NO VERIFICADO: files\/IMG_0042\.jpg no es como lo indica MANIFEST\.sha256/);
});
