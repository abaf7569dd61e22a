// One photo's original sent on purpose, in two browsers: the coordinator shares a testimony
// with two GPS photos redacted and ticks "Enviar el original" for one of them
// (unticked by default); the lawyer's list says that original was shared on purpose and
// downloads it byte-identical, GPS included; the other photo's original stays withheld.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import exifr from 'exifr';
import type { Page } from 'playwright-core';
import { build } from '../helper.ts';
import { buildWeb, launch } from './browser.ts';
import { evidenceFolder, sha256 } from './fixtures.ts';
import { coordinatorAndLawyer, shareFormFor } from './redacted-people.ts';

const LONG = { timeout: 90_000 };
const COORD = { handle: 'coord-norte', passphrase: 'mariposa tejado brújula cántaro nieve' };
const LAWYER = { handle: 'lic-ramos', passphrase: 'pelícano sombrero arcilla trueno lima' };
const SEND = 'Enviar el original (con su ubicación y datos del dispositivo)';

t.test('the coordinator sends one original on purpose; the lawyer gets it whole and only a copy of the other', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const dir = await evidenceFolder(t);
  const place = path.join(dir, 'LUGAR.jpg');
  const face = path.join(dir, 'ROSTRO.jpg');
  await copyFile(path.resolve(import.meta.dirname, '../fixtures/photos/camera-gps.jpg'), place);
  const original = await readFile(place);
  await writeFile(face, Buffer.concat([original, Buffer.from([0])]));

  const { coord, lawyer, c, l } = await coordinatorAndLawyer(browser, server.url, COORD, LAWYER);

  await c.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await c.getByLabel('Título', { exact: true }).fill('Retén del kilómetro 40');
  await c.getByLabel('Relato', { exact: true }).fill('Nos bajaron del autobús.');
  await c.getByRole('button', { name: 'Guardar' }).click();
  await c.getByRole('heading', { name: 'Retén del kilómetro 40' }).waitFor(LONG);
  await c.getByLabel('Elegir archivos').setInputFiles([place, face]);
  const item = (p: Page, name: string) => p.getByRole('listitem').filter({ hasText: name }).filter({ has: p.getByRole('button', { name: 'Descargar' }) });
  await item(c, 'LUGAR.jpg').waitFor(LONG);
  await item(c, 'ROSTRO.jpg').waitFor(LONG);

  const redact = await shareFormFor(c, LAWYER.handle);
  const photos = c.getByRole('group', { name: 'Fotos y videos cuyo original la persona puede abrir' });
  await photos.waitFor(LONG);
  const boxes = photos.getByLabel(SEND);
  t.equal(await boxes.count(), 2, 'each photo has its box');
  t.same(await Promise.all((await boxes.all()).map((b) => b.isChecked())), [false, false], 'none is ticked by default');
  await redact.uncheck();
  t.equal(await photos.count(), 0, 'without redacted copies there is nothing to choose');
  await redact.check();
  await photos.locator('div').filter({ hasText: 'LUGAR.jpg' }).getByLabel(SEND).check();
  await c.getByRole('button', { name: `Compartir con ${LAWYER.handle}` }).click();
  await c.getByText(`Compartido con ${LAWYER.handle}.`).waitFor(LONG);

  await l.getByRole('button', { name: 'Compartidos conmigo' }).click();
  await l.getByRole('button', { name: /Retén del kilómetro 40/ }).click();
  const sent = item(l, 'LUGAR.jpg').filter({ hasNotText: 'Copia depurada' });
  await sent.waitFor(LONG);
  t.match(await sent.innerText(), /Original compartido a propósito/, "the lawyer's list says the original was shared on purpose");
  const [file] = await Promise.all([l.waitForEvent('download', LONG), sent.getByRole('button', { name: 'Descargar' }).click()]);
  const target = path.join(dir, 'lawyer-original.jpg');
  await file.saveAs(target);
  const received = await readFile(target);
  t.equal(sha256(received), sha256(original), 'the lawyer downloads the original byte-identical');
  t.ok(await exifr.gps(received), 'with its GPS position');
  await item(l, 'ROSTRO.redacted.jpg').waitFor(LONG);
  t.match(await l.locator('.withheld').innerText(), /ROSTRO\.jpg/, 'the other original is named, not offered');
  t.equal(await item(l, 'ROSTRO.jpg').filter({ hasNotText: 'Copia depurada' }).count(), 0, 'and no download of it is offered');
  t.same([...coord.violations, ...lawyer.violations], [], 'no CSP violation');
});
