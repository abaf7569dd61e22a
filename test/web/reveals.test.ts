// A photo from a phone carries where it was taken: the page reads the metadata on the
// device and says so before anyone shares it. The original stays byte for byte as attached.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import exifr from 'exifr';
import { build } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { evidenceFolder, sha256, withExif } from './fixtures.ts';
import { registerThroughTheForm } from './people.ts';

const LONG = { timeout: 60_000 };

t.test("a photo's GPS position, device and time are shown before it is shared", async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const { page, violations } = await spanishPage(browser);
  await page.goto(server.url);
  // A real JPEG, drawn and encoded by the browser, then given a phone's EXIF block.
  const jpeg = Buffer.from(
    await page.evaluate(async () => {
      const c = new OffscreenCanvas(320, 240);
      const g = c.getContext('2d')!;
      g.fillStyle = '#3a6';
      g.fillRect(0, 0, 320, 240);
      g.fillStyle = '#fff';
      g.fillRect(40, 40, 100, 60);
      return [...new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer())];
    }),
  );
  const photo = withExif(jpeg, { make: 'Apple', model: 'iPhone 12', taken: '2026:11:20 18:42:07', lat: 26.0922, lon: -98.2772 });
  const gps = await exifr.gps(photo);
  t.ok(Math.abs(gps.latitude - 26.0922) < 1e-3 && Math.abs(gps.longitude + 98.2772) < 1e-3, 'an independent reader finds the GPS position in the fixture');
  const dir = await evidenceFolder(t);
  const file = path.join(dir, 'IMG_0042.jpg');
  await writeFile(file, photo);

  await registerThroughTheForm(page, 'albergue-gps', 'hormiga clavel tinaja velero cobre');
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('Foto del cruce');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: 'Foto del cruce' }).waitFor(LONG);
  await page.getByLabel('Elegir archivos').setInputFiles(file);
  const note = page.getByRole('note');
  await note.waitFor(LONG);
  const text = await note.innerText();
  t.match(text, /Esta foto revela/, 'the page warns');
  t.match(text, /latitud 26[.,]09/, 'where');
  t.match(text, /longitud -98[.,]27/, 'and west');
  t.match(text, /Apple iPhone 12/, 'with what device');
  t.match(text, /20 nov 2026/, 'when');
  const item = page.getByRole('listitem').filter({ hasText: 'IMG_0042.jpg' }).filter({ has: page.getByRole('button', { name: 'Ver' }) });
  t.equal((await item.locator('code').innerText()).trim(), sha256(photo), 'the original is kept byte for byte');
  t.same(violations, [], 'no CSP violation');
});
