import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import exifr from 'exifr';
import { build, handle } from './helper.ts';
import { COORD_PASS, LAWYER_PASS, registerCoordinatorAndLawyer, tvaultIn } from './tvault-run.ts';

// tvault share --redact-photos, the real program in child processes: the lawyer's export
// holds the photo's redacted copy (no GPS, read by exifr) and names its original; the
// coordinator's export holds the original, byte-identical; verify-export accepts both.

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-redacted-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const tvault = tvaultIn(work);
const lawyer = handle('lic');
await registerCoordinatorAndLawyer(tvault, server.url, { coordinator: handle('casa'), lawyer });
const photo = path.resolve(import.meta.dirname, 'fixtures/photos/camera-gps.jpg');
await copyFile(photo, path.join(work, 'IMG_0042.jpg'));
await writeFile(path.join(work, 'narrative.txt'), 'Lo detuvieron en el retén.');
const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

const added = await tvault('coord', COORD_PASS, ['--json', 'add', '--title', 'Testimonio de J.', '--narrative-file', 'narrative.txt', '--attach', 'IMG_0042.jpg']);
if (added.code !== 0) throw new Error(added.stderr);
const id = (JSON.parse(added.stdout) as { id: string }).id;

t.test('share --redact-photos says what it did, in Spanish and in English', async (t) => {
  const r = await tvault('coord', COORD_PASS, ['share', id, lawyer, '--unverified', '--redact-photos'], { LANG: 'es_MX.UTF-8' });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Las fotos se comparten como copias depuradas/);
  t.match(r.stdout, /copia depurada hecha: IMG_0042\.redacted\.jpg \(se quitó: .*EXIF/);
  const g = await tvault('coord', COORD_PASS, ['grants', id]);
  t.match(g.stdout, new RegExp(`${lawyer}.*\\[redacted photos\\]`), 'grants marks the redacted access');
});

t.test("the lawyer's show and export: the copy, named as a redacted copy of its original; no GPS", async (t) => {
  const show = await tvault('lawyer', LAWYER_PASS, ['show', id]);
  t.equal(show.code, 0, show.stderr);
  t.match(show.stdout, new RegExp(`IMG_0042\\.redacted\\.jpg is a redacted copy of IMG_0042\\.jpg, SHA-256 ${await sha256(photo)}`));
  t.match(show.stdout, /🔒 IMG_0042\.jpg: original kept from you/);
  const dir = path.join(work, 'lawyer-export');
  const ex = await tvault('lawyer', LAWYER_PASS, ['export', id, dir]);
  t.equal(ex.code, 0, ex.stderr);
  t.same(await readdir(path.join(dir, 'files')), ['IMG_0042.redacted.jpg'], 'only the copy is in the export');
  t.equal(await exifr.gps(await readFile(path.join(dir, 'files', 'IMG_0042.redacted.jpg'))), undefined, 'the independent reader finds no GPS');
  t.match(await readFile(path.join(dir, 'CUSTODY.md'), 'utf8'), /redacted copy of IMG_0042\.jpg, SHA-256 [0-9a-f]{64}/, 'the custody note names the original');
  const v = await tvault('nobody', '', ['verify-export', dir]);
  t.equal(v.code, 0, v.stderr);
  t.match(v.stdout, /^VERIFIED/m, 'verify-export accepts the redacted export');
});

t.test("the coordinator's export holds the original, byte-identical to what was attached", async (t) => {
  const dir = path.join(work, 'coord-export');
  const ex = await tvault('coord', COORD_PASS, ['export', id, dir]);
  t.equal(ex.code, 0, ex.stderr);
  t.equal(await sha256(path.join(dir, 'files', 'IMG_0042.jpg')), await sha256(photo));
  t.match(await exifr.gps(await readFile(path.join(dir, 'files', 'IMG_0042.jpg'))), { latitude: Number }, 'with its GPS');
  const v = await tvault('nobody', '', ['verify-export', dir]);
  t.equal(v.code, 0, v.stderr);
});
