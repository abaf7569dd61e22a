// A photo shared redacted, in two browsers: the coordinator attaches a phone's JPEG with GPS
// (written by exiftool, test/fixtures/photos), shares the testimony with the redacted-copies
// box ticked (ticked by default: a photo says where it was taken), and the lawyer downloads the
// copy, which an independent reader (exifr) finds without GPS; the coordinator's original
// stays byte-identical to the file attached.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { strFromU8, unzipSync } from 'fflate';
import exifr from 'exifr';
import type { Page } from 'playwright-core';
import { build } from '../helper.ts';
import { RUN_TS } from '../run-ts.ts';
import { buildWeb, launch, sidewaysOverflow } from './browser.ts';
import { evidenceFolder, sha256 } from './fixtures.ts';
import { coordinatorAndLawyer, shareFormFor } from './redacted-people.ts';

const LONG = { timeout: 90_000 };
const COORD = { handle: 'coord-sur', passphrase: 'mariposa tejado brújula cántaro nieve' };
const LAWYER = { handle: 'lic-torres', passphrase: 'pelícano sombrero arcilla trueno lima' };

async function download(page: Page, click: () => Promise<void>, dir: string, name: string): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download', LONG), click()]);
  const target = path.join(dir, name);
  await file.saveAs(target);
  return readFile(target);
}

t.test("the lawyer's copy of a photo shared redacted has no GPS; the coordinator's original is byte-identical", async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const dir = await evidenceFolder(t);
  const photo = path.join(dir, 'IMG_0042.jpg');
  await copyFile(path.resolve(import.meta.dirname, '../fixtures/photos/camera-gps.jpg'), photo);
  const original = await readFile(photo);
  t.ok(await exifr.gps(original), 'the fixture carries a GPS position');

  const { coord, lawyer, c, l } = await coordinatorAndLawyer(browser, server.url, COORD, LAWYER);

  await c.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await c.getByLabel('Título', { exact: true }).fill('Retén en la carretera');
  await c.getByLabel('Relato', { exact: true }).fill('Nos bajaron del autobús.');
  await c.getByRole('button', { name: 'Guardar' }).click();
  await c.getByRole('heading', { name: 'Retén en la carretera' }).waitFor(LONG);
  await c.getByLabel('Elegir archivos').setInputFiles(photo);
  const item = (p: Page, name: string) => p.getByRole('listitem').filter({ hasText: name }).filter({ has: p.getByRole('button', { name: 'Descargar' }) });
  await item(c, 'IMG_0042.jpg').waitFor(LONG);
  t.equal((await item(c, 'IMG_0042.jpg').locator('code').innerText()).trim(), sha256(original), 'the SHA-256 taken at intake is the file\'s');

  // The default is set once the worker has looked at the testimony's files.
  const redact = await shareFormFor(c, LAWYER.handle);
  t.ok(await redact.isChecked(), 'ticked by default: the testimony holds a photo with a GPS position');
  await c.getByRole('button', { name: `Compartir con ${LAWYER.handle}` }).click();
  await c.getByText(`Compartido con ${LAWYER.handle}.`).waitFor(LONG);
  await c.getByRole('button', { name: 'Volver' }).click();
  await c.getByText('fotos depuradas').waitFor(LONG);
  t.pass('the grant says the photos are redacted');

  // The lawyer: the copy, named as a redacted copy of the original with its SHA-256; the original only named.
  await l.getByRole('button', { name: 'Compartidos conmigo' }).click();
  t.match(await l.getByRole('button', { name: /Retén en la carretera/ }).innerText(LONG), /Fotos como copias depuradas/, 'the inbox says the photos come as redacted copies');
  await l.getByRole('button', { name: /Retén en la carretera/ }).click();
  const copy = item(l, 'IMG_0042.redacted.jpg');
  await copy.waitFor(LONG);
  t.match(await copy.innerText(), new RegExp(`Copia depurada de IMG_0042\\.jpg; SHA-256 del original: ${sha256(original)}`), 'the copy names its original');
  t.match(await l.locator('.withheld').innerText(), /IMG_0042\.jpg: el original se queda con su dueño/, 'the original is named, not offered');
  t.match(await copy.innerText(), /Se quitó: datos EXIF \(ubicación, cámara, hora\)/, 'what the copy left out, in words and in Spanish');
  // On a phone the 64-digit SHA-256s in those lines wrap instead of widening the page.
  for (const p of [l, c]) await p.setViewportSize({ width: 360, height: 740 });
  t.equal(await sidewaysOverflow(l), 0, "the lawyer's page fits 360 px");
  t.equal(await item(l, 'IMG_0042.jpg').filter({ hasNotText: 'redacted' }).count(), 0, 'no download of the original is offered');
  // Her versions: the one that attached the original says files were added, though she sees only its name.
  await l.getByRole('button', { name: 'Versiones' }).click();
  const second = l.getByRole('listitem').filter({ hasText: 'Versión 2' });
  t.match(await second.innerText(LONG), /Cambió: archivos agregados/, 'a version that added an original kept from her is not "no change"');
  await l.getByRole('button', { name: 'Volver' }).click();
  await copy.waitFor(LONG);
  const received = await download(l, () => copy.getByRole('button', { name: 'Descargar' }).click(), dir, 'lawyer-copy.jpg');
  t.equal(await exifr.gps(received), undefined, "the independent reader finds no GPS in the lawyer's copy");
  t.notOk((await exifr.parse(received, { tiff: true, xmp: true, iptc: true }))?.Make, 'nor the device');

  // The lawyer's evidence bundle: the copy, its original named in the custody note; tvault verify-export accepts it.
  const zip = unzipSync(await download(l, () => l.getByRole('button', { name: 'Paquete de evidencia (.zip)' }).click(), dir, 'bundle.zip'));
  t.same(Object.keys(zip).filter((n) => n.startsWith('files/')), ['files/IMG_0042.redacted.jpg'], 'only the copy is in the bundle');
  t.match(strFromU8(zip['CUSTODY.md']!), new RegExp(`IMG_0042\\.redacted\\.jpg: copia depurada de / redacted copy of IMG_0042\\.jpg, SHA-256 ${sha256(original)}`));
  const unzipped = path.join(dir, 'bundle');
  for (const [name, bytes] of Object.entries(zip)) {
    await mkdir(path.dirname(path.join(unzipped, name)), { recursive: true });
    await writeFile(path.join(unzipped, name), bytes);
  }
  const root = path.resolve(import.meta.dirname, '../..');
  const verified = await promisify(execFile)(process.execPath, [...RUN_TS, 'cli/src/main.ts', '--lang', 'en', 'verify-export', unzipped], { cwd: root });
  t.match(verified.stdout, /^VERIFIED/m, 'tvault verify-export accepts the redacted bundle');

  // The coordinator's original, byte-identical to what was attached.
  await item(c, 'IMG_0042.redacted.jpg').waitFor(LONG);
  t.equal(await sidewaysOverflow(c), 0, "the coordinator's page, with its copy's line, fits 360 px");
  const kept = await download(c, () => item(c, 'IMG_0042.jpg').filter({ hasNotText: 'Copia depurada' }).getByRole('button', { name: 'Descargar' }).click(), dir, 'coord-original.jpg');
  t.equal(sha256(kept), sha256(original), "the coordinator's original is byte-identical to the file attached");
  t.same([...coord.violations, ...lawyer.violations], [], 'no CSP violation');
});
