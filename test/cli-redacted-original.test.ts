import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import exifr from 'exifr';
import { build, handle } from './helper.ts';
import { COORD_PASS, LAWYER_PASS, registerCoordinatorAndLawyer, tvaultIn } from './tvault-run.ts';

// tvault share --redact-photos --original FILE, the real program in child processes: the
// lawyer's export holds the named photo's original, byte-identical and with its GPS, and
// only the redacted copy of the other photo; bad --original values change nothing.

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-original-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const tvault = tvaultIn(work);
const lawyer = handle('lic');
await registerCoordinatorAndLawyer(tvault, server.url, { coordinator: handle('casa'), lawyer });
const photo = await readFile(path.resolve(import.meta.dirname, 'fixtures/photos/camera-gps.jpg'));
await writeFile(path.join(work, 'PLACE.jpg'), photo);
// A second photo, different bytes, same GPS.
await writeFile(path.join(work, 'FACE.jpg'), Buffer.concat([photo, Buffer.from([0])]));
await writeFile(path.join(work, 'acta.txt'), 'acta');
await writeFile(path.join(work, 'narrative.txt'), 'Lo detuvieron en el retén.');
const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

const added = await tvault('coord', COORD_PASS, ['--json', 'add', '--title', 'Testimonio de J.', '--narrative-file', 'narrative.txt', '--attach', 'PLACE.jpg', '--attach', 'FACE.jpg', '--attach', 'acta.txt']);
if (added.code !== 0) throw new Error(added.stderr);
const id = (JSON.parse(added.stdout) as { id: string }).id;
const versions = async () => (await tvault('coord', COORD_PASS, ['versions', id])).stdout;

t.test('bad --original values are refused before anything is written, in Spanish and in English', async (t) => {
  const before = await versions();
  const none = await tvault('coord', COORD_PASS, ['share', id, lawyer, '--unverified', '--redact-photos', '--original', 'nope.jpg'], { LANG: 'es_MX.UTF-8' });
  t.not(none.code, 0);
  t.match(none.stderr, /no tiene el archivo "nope\.jpg"/);
  const doc = await tvault('coord', COORD_PASS, ['share', id, lawyer, '--unverified', '--redact-photos', '--original', 'acta.txt']);
  t.not(doc.code, 0);
  t.match(doc.stderr, /acta\.txt is not a photo or video original/);
  const full = await tvault('coord', COORD_PASS, ['share', id, lawyer, '--unverified', '--original', 'PLACE.jpg']);
  t.not(full.code, 0);
  t.match(full.stderr, /--original goes with --redact-photos only/);
  t.equal(await versions(), before, 'no version was written');
  t.equal((await tvault('coord', COORD_PASS, ['grants', id])).stdout.includes(lawyer), false, 'and nobody was shared');
});

t.test('share --redact-photos --original PLACE.jpg', async (t) => {
  const r = await tvault('coord', COORD_PASS, ['share', id, lawyer, '--unverified', '--redact-photos', '--original', 'place.jpg'], { LANG: 'es_MX.UTF-8' });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /copia depurada hecha: FACE\.redacted\.jpg/);
  t.match(r.stdout, /original compartido a propósito: PLACE\.jpg, con su ubicación y datos del dispositivo/);

  const show = await tvault('lawyer', LAWYER_PASS, ['show', id]);
  t.equal(show.code, 0, show.stderr);
  t.match(show.stdout, new RegExp(`📷 PLACE\\.jpg: original shared on purpose by the owner, with its location and device data, SHA-256 ${createHash('sha256').update(photo).digest('hex')}`));
  t.match(show.stdout, /🔒 FACE\.jpg: original kept from you/);
  const dir = path.join(work, 'lawyer-export');
  const ex = await tvault('lawyer', LAWYER_PASS, ['export', id, dir]);
  t.equal(ex.code, 0, ex.stderr);
  t.same((await readdir(path.join(dir, 'files'))).sort(), ['FACE.redacted.jpg', 'PLACE.jpg', 'PLACE.redacted.jpg', 'acta.txt'], 'the marked original, the copies, the document; not the other original');
  t.equal(await sha256(path.join(dir, 'files', 'PLACE.jpg')), await sha256(path.join(work, 'PLACE.jpg')), 'the original is byte-identical');
  t.match(await exifr.gps(await readFile(path.join(dir, 'files', 'PLACE.jpg'))), { latitude: Number }, 'with its GPS');
  t.equal(await exifr.gps(await readFile(path.join(dir, 'files', 'FACE.redacted.jpg'))), undefined, 'the other photo only as a copy without GPS');
  const v = await tvault('nobody', '', ['verify-export', dir]);
  t.equal(v.code, 0, v.stderr);
});
