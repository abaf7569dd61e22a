// What a review from the attacker's side found in the web client, each tried again as the
// attacker would: a seized laptop's browser profile searched on disk, a lock while an upload
// hangs, an upload stuck on purpose to keep the vault open, a server that writes its own text
// into error codes or fakes a tampering warning, and names that disguise themselves.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { chromium } from 'playwright-core';
import { build } from '../helper.ts';
import { buildWeb, CHROMIUM, FLAGS, launch, sidewaysOverflow, spanishPage } from './browser.ts';
import { evidenceFolder, writePhoto } from './fixtures.ts';
import { login, registerThroughTheForm } from './people.ts';

const PASSPHRASE = 'caracol almendra tiza farol glaciar';
const LONG = { timeout: 60_000 };

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(full);
    else if (entry.isFile()) yield full;
  }
}

t.test('a seized laptop: the browser profile on disk holds no testimony text and no API answer', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  await launch(t); // fails with the install advice when there is no Chromium
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tv-profile-'));
  if (!process.env.KEEP_PROFILE) t.teardown(() => rm(profile, { recursive: true, force: true }));
  else t.comment(`profile kept in ${profile}`);
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, locale: 'es-MX' });
  const page = await context.newPage();
  await page.goto(server.url);
  await registerThroughTheForm(page, 'perfil-incautado', PASSPHRASE);
  // Invented words: real places are in the strength checker's dictionaries, which the
  // browser rightly caches with the rest of the vault's code.
  const secrets = ['Retenidos en Xochiquemba', 'Bodega junto al arroyo Tzintzuntlan', 'trata-laboral-kq7', 'Nos encerraron en una bodega azul'] as const;
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill(secrets[0]);
  await page.getByLabel('Lugar', { exact: true }).fill(secrets[1]);
  await page.getByLabel('Etiquetas', { exact: true }).fill(secrets[2]);
  await page.getByLabel('Relato', { exact: true }).fill(`${secrets[3]} durante tres días.`);
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: secrets[0] }).waitFor(LONG);
  await page.getByRole('button', { name: 'Testimonios' }).first().click();
  await page.getByLabel('Buscar en títulos, lugares y etiquetas').fill('xochiquemba');
  await page.getByRole('button', { name: 'Buscar', exact: true }).click();
  await page.getByText(/1 testimonio encontrado/).waitFor(LONG);
  const { id } = await server.db.selectFrom('records').select('id').executeTakeFirstOrThrow();
  await page.getByRole('button', { name: 'Salida rápida' }).click();
  await context.close();

  const needles = [...secrets, 'xochiquemba', id].map((s) => Buffer.from(s));
  const found: string[] = [];
  let scanned = 0;
  for await (const file of filesUnder(profile)) {
    if ((await stat(file)).size > 64 << 20) continue;
    const bytes = await readFile(file);
    scanned += 1;
    for (const n of needles) if (bytes.includes(n)) found.push(`${path.relative(profile, file)}: ${n.toString()}`);
  }
  t.ok(scanned > 10, `the profile was written (${scanned} files read)`);
  t.same(found, [], 'no title, place, tag, narrative, search word or record id anywhere in the profile');
});

t.test('a lock while an upload hangs leaves the next session able to upload', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const { context, page } = await spanishPage(browser);
  let hung = 0;
  // The first part never gets an answer, as from a server that stalls.
  await context.route(/\/v1\/files\/[^/]+\/parts\/0$/, (route) => (hung++ === 0 ? undefined : route.continue()));
  await page.goto(server.url);
  await registerThroughTheForm(page, 'subida-colgada', PASSPHRASE);
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('Fotos del albergue');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: 'Fotos del albergue' }).waitFor(LONG);
  const dir = await evidenceFolder(t);
  const first = await writePhoto(dir, 'primera.png', 1);
  await page.getByLabel('Elegir archivos').setInputFiles(first.path);
  await page.getByText('Cifrando y enviando').waitFor(LONG);
  for (let i = 0; i < 100 && hung === 0; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(hung, 1, 'the first part was sent, and hangs');
  await page.getByRole('button', { name: 'Bloquear' }).click();
  await login(page, 'subida-colgada', PASSPHRASE);
  await page.getByRole('button', { name: /Fotos del albergue/ }).click();
  const second = await writePhoto(dir, 'segunda.png', 2);
  await page.getByLabel('Elegir archivos').setInputFiles(second.path);
  const item = page.getByRole('listitem').filter({ hasText: 'segunda.png' }).filter({ has: page.getByRole('button', { name: 'Ver' }) });
  await item.waitFor(LONG);
  t.equal((await item.locator('code').innerText()).trim(), second.sha256, 'the new session sends its file');
});

t.test('an upload stuck on purpose does not keep the vault open', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const { context, page } = await spanishPage(browser);
  await page.clock.install();
  await page.goto(server.url);
  await registerThroughTheForm(page, 'subida-trabada', PASSPHRASE);
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('Video largo');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: 'Video largo' }).waitFor(LONG);
  // From here on the server is unreachable for file parts and for /ready.
  await context.route(/\/v1\/files\/|\/ready$/, (route) => route.abort('connectionrefused'));
  const dir = await evidenceFolder(t);
  const big = path.join(dir, 'video.mp4');
  await writeFile(big, Buffer.alloc(3 << 20, 7));
  await page.getByLabel('Elegir archivos').setInputFiles(big);
  await page.getByText('Esperando conexión').waitFor(LONG);
  await page.clock.runFor(11 * 60_000);
  await page.getByText('La bóveda se bloqueó por inactividad.').waitFor({ timeout: 30_000 });
  t.pass('locked at the idle time though a file was waiting');
});

t.test('a server cannot put its own words on screen, nor fake a tampering warning', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const { context, page } = await spanishPage(browser);
  await page.goto(server.url);
  await registerThroughTheForm(page, 'texto-ajeno', PASSPHRASE);
  await page.getByRole('button', { name: 'Bloquear' }).click();
  const lure = 'VAULT_ERR_SESSION. AVISO: escriba sus 24 palabras en soporte@ejemplo.org';
  await context.route('**/v1/auth/login', (route) => route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ statusCode: 401, code: lure, message: lure }) }));
  await page.getByLabel('Frase de contraseña', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByText('Algo salió mal.').waitFor(LONG);
  t.equal(await page.getByText('soporte@ejemplo.org').count(), 0, "the server's text is not shown");

  await context.unroute('**/v1/auth/login');
  await context.route('**/v1/auth/login', (route) => route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ statusCode: 400, code: 'VAULT_ERR_SIGNATURE', message: 'x' }) }));
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByText('Código: VAULT_ERR_SIGNATURE').waitFor(LONG);
  t.equal(await page.getByRole('heading', { name: 'Advertencia: posible manipulación' }).count(), 0, 'a code alone is not a tampering warning: only the library’s own checks are');
});

t.test('names that disguise themselves, and titles too long for a phone', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'es-MX', viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await registerThroughTheForm(page, 'nombres-raros', PASSPHRASE);
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('A'.repeat(250));
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('button', { name: 'Editar' }).waitFor(LONG);
  const dir = await evidenceFolder(t);
  const disguised = await writePhoto(dir, 'declaracion\u202Efdp.exe', 3);
  await page.getByLabel('Elegir archivos').setInputFiles({ name: path.basename(disguised.path), mimeType: 'image/png', buffer: await readFile(disguised.path) });
  await page.getByText('declaracion\uFFFDfdp.exe').waitFor(LONG);
  t.pass('the override character is shown as a replacement mark, not obeyed');
  const overflow = await sidewaysOverflow(page);
  t.ok(overflow <= 0, `a 250-letter word does not widen the page (overflow ${overflow} px)`);
  await page.getByRole('button', { name: 'Testimonios' }).first().click();
  await page.getByRole('button', { name: /AAAA/ }).waitFor(LONG);
  const listOverflow = await sidewaysOverflow(page);
  t.ok(listOverflow <= 0, `nor the list (overflow ${listOverflow} px)`);
});
