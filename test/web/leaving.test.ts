// Two ways the attacker review got at the vault's page from outside the vault's own
// screens, as the person and the attacker would:
// - a shared SVG "photo" whose decrypted Blob kept its declared type, so its blob: URL opened
//   in a tab ran the file's script in the vault's origin ([Note: what a decrypted file may be
//   shown as]);
// - Back after leaving the page in the same tab, which the back/forward cache answered with
//   the unlocked vault, testimony on screen ([Note: leaving the page forgets it]).
// (The third, the skip link's history entry, is in access.test.ts's quick exit.)
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { chromium } from 'playwright-core';
import { build } from '../helper.ts';
import { buildWeb, CHROMIUM, FLAGS, launch, spanishPage } from './browser.ts';
import { evidenceFolder, writePhoto } from './fixtures.ts';
import { login, registerThroughTheForm } from './people.ts';

const LONG = { timeout: 90_000 };
const PASSPHRASE = 'tortuga campana membrillo viento azafrán';

const HOSTILE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="document.title='PWNED'">
<script>document.title = 'PWNED'</script><rect width="10" height="10"/></svg>`;

t.test('an SVG or HTML file is never shown, and every Blob of it is opaque bytes', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const { context, page, violations } = await spanishPage(browser);
  // Every Blob the page turns into a URL, with its type: what a copied address would open.
  await page.addInitScript(() => {
    const made: string[] = [];
    (window as unknown as { __blobTypes: string[] }).__blobTypes = made;
    const create = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (o: Blob | MediaSource) => {
      const url = create(o);
      if (o instanceof Blob) made.push(`${o.type}|${url}`);
      return url;
    };
  });
  await page.goto(server.url);
  await registerThroughTheForm(page, 'archivos-raros', PASSPHRASE);
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('Archivos recibidos por mensaje');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: 'Archivos recibidos por mensaje' }).waitFor(LONG);

  const dir = await evidenceFolder(t);
  const svg = path.join(dir, 'mapa.svg');
  const html = path.join(dir, 'nota.html');
  await writeFile(svg, HOSTILE_SVG);
  await writeFile(html, `<html><body><script>document.title = 'PWNED'</script></body></html>`);
  const photo = await writePhoto(dir, 'retrato.png');
  await page.getByLabel('Elegir archivos').setInputFiles([svg, html, photo.path]);
  const item = (name: string) => page.getByRole('listitem').filter({ hasText: name }).filter({ has: page.getByRole('button', { name: 'Descargar' }) });
  for (const name of ['mapa.svg', 'nota.html', 'retrato.png']) await item(name).waitFor(LONG);

  t.equal(await item('mapa.svg').getByRole('button', { name: /^Ver/ }).count(), 0, 'the SVG has no "Ver": it is saved, never shown');
  t.equal(await item('nota.html').getByRole('button', { name: /^Ver/ }).count(), 0, 'nor has the HTML file');
  t.match(await item('mapa.svg').innerText(), /Archivo ·/, 'listed as a file, not as a photo');
  await item('retrato.png').getByRole('button', { name: 'Ver retrato.png' }).click();
  await page.getByRole('img', { name: 'retrato.png' }).waitFor(LONG);

  const saved: string[] = [];
  for (const name of ['mapa.svg', 'nota.html']) {
    const [download] = await Promise.all([page.waitForEvent('download', LONG), item(name).getByRole('button', { name: `Descargar ${name}` }).click()]);
    saved.push(download.suggestedFilename());
  }
  t.same(saved, ['mapa.svg', 'nota.html'], 'both can still be saved under their names');

  const blobs = await page.evaluate(() => (window as unknown as { __blobTypes: string[] }).__blobTypes);
  const types = blobs.map((b) => b.split('|')[0]);
  t.notOk(types.some((type) => /svg|html|xml/.test(type!)), `no Blob made with a type a tab would run (${types.join(', ')})`);
  t.ok(types.includes('image/png'), 'the photo is still a picture');

  // As the review did: each address opened in a tab of its own.
  for (const url of blobs.map((b) => b.split('|')[1]!)) {
    const tab = await context.newPage();
    await tab.goto(url).catch(() => {}); // opaque bytes start a download instead of a page
    t.not(await tab.title().catch(() => ''), 'PWNED', 'no script of the file ran in the vault origin');
    await tab.close();
  }
  t.same(violations, [], 'no CSP violation on the way');
});

t.test('Back after leaving the page in the same tab finds the vault locked, not the testimony', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  // Playwright turns the back/forward cache off; every Chromium a person uses has it on.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, ignoreDefaultArgs: ['--disable-back-forward-cache'] });
  t.teardown(() => browser.close());
  const page = await (await browser.newContext({ locale: 'es-MX' })).newPage();
  await page.goto(server.url);
  await registerThroughTheForm(page, 'dejo-la-pagina', PASSPHRASE);
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('Lo que vio en el río');
  await page.getByLabel('Relato', { exact: true }).fill('Tres personas cruzaron de noche con el agua al pecho.');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByText('Tres personas cruzaron de noche').waitFor(LONG);
  t.equal(page.workers().length, 1, 'unlocked, with its worker');

  // The test means something only if Back is answered from the cache: Chromium says when it is not.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.enable');
  const notCached: unknown[] = [];
  cdp.on('Page.backForwardCacheNotUsed', (e) => notCached.push(e));
  await page.goto(`${server.url}/ready`); // another page in the same tab
  await page.goBack({ waitUntil: 'commit' }); // a page from the cache fires no load
  await page.getByRole('heading', { name: 'Entrar a la bóveda' }).waitFor(LONG);
  t.equal(await page.getByText('Tres personas cruzaron de noche').count(), 0, 'the testimony is not on screen');
  t.same(notCached, [], 'and Back was answered from the back/forward cache, the case that showed it');
  await login(page, 'dejo-la-pagina', PASSPHRASE);
  t.equal(await page.getByRole('button', { name: /Lo que vio en el río/ }).count(), 1, 'and after it the testimony is there');
});
