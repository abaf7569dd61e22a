// A shelter coordinator's first day, as a person does it in the browser: register in
// Spanish, confirm the recovery words, write a testimony, attach a photo and a 50 MiB video
// while the connection drops and comes back, log out, log in, find the testimony by search,
// open the photo and check its SHA-256. Along the way: no CSP violation, no browser storage
// used, and after the lock the worker and the session are gone.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { sql } from 'kysely';
import { build } from '../helper.ts';
import { TcpProxy } from '../tcp-proxy.ts';
import { buildWeb, EMPTY_STORAGE, launch, spanishPage, storageContents } from './browser.ts';
import { evidenceFolder, sha256, writePhoto, writeRandom } from './fixtures.ts';
import { typeBackWords } from './people.ts';

const PASSPHRASE = 'tortuga nublado despacio jícama linterna';
const HANDLE = 'casa-refugio';
const LONG = { timeout: 120_000 };

t.test('a coordinator registers, writes, attaches through a dropped connection, and finds it again', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const target = new URL(server.url);
  const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port) });
  t.teardown(() => proxy.close());
  const origin = `http://127.0.0.1:${proxy.port}`;
  const browser = await launch(t);
  const { context, page, violations } = await spanishPage(browser);
  const dir = await evidenceFolder(t);
  const photo = await writePhoto(dir, 'foto-frontera.png');
  const video = await writeRandom(dir, 'video-testimonio.mp4', 50);

  await page.goto(origin);
  t.equal(await page.locator('html').getAttribute('lang'), 'es', 'Spanish, from the browser language');

  // Register, with the strength check in the worker.
  await page.getByRole('button', { name: 'Crear una cuenta' }).click();
  await page.getByLabel('Nombre de usuario', { exact: true }).fill(HANDLE);
  await page.getByLabel('Nueva frase de contraseña', { exact: true }).fill('migrante2024');
  await page.getByText('Esta frase es demasiado fácil de adivinar:').waitFor(LONG);
  t.ok(await page.getByRole('button', { name: 'Crear cuenta' }).isDisabled(), 'a weak passphrase cannot be used');
  await page.getByLabel('Nueva frase de contraseña', { exact: true }).fill(PASSPHRASE);
  await page.getByText('Frase suficientemente fuerte.').waitFor(LONG);
  await page.getByLabel('Repita la frase de contraseña', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Crear cuenta' }).click();

  // The 24 words, then three of them typed back.
  await page.getByRole('heading', { name: 'Sus 24 palabras de recuperación' }).waitFor(LONG);
  const items = await page.getByRole('list', { name: 'Palabras de recuperación' }).getByRole('listitem').allInnerTexts();
  const words = items.map((s) => s.trim().split(/\s+/)[1]!);
  t.equal(words.length, 24, '24 recovery words shown');
  t.same(await storageContents(context, page), EMPTY_STORAGE, 'after registration, no browser storage holds anything');
  t.equal(await page.getByRole('button', { name: 'Testimonios' }).count(), 0, 'no way to the testimonies before the words are typed back');
  t.equal(await page.getByRole('button', { name: 'Salida rápida' }).count(), 1, 'but the quick exit is there');
  await page.getByLabel('Ya las escribí en papel').check();
  await page.getByRole('button', { name: 'Continuar' }).click();
  t.equal(await page.getByLabel(/^Palabra número \d+$/).count(), 3, 'three words are asked for');
  // A wrong word keeps the account from being used.
  await typeBackWords(page, words, true);
  await page.getByText('Alguna palabra no coincide.').waitFor();
  await typeBackWords(page, words);
  await page.getByRole('heading', { name: 'Testimonios' }).waitFor();

  // Write a testimony.
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('Secuestro en la carretera a Reynosa');
  await page.getByLabel('Relato', { exact: true }).fill('Nos bajaron del autobús cerca del retén. Eran cinco hombres armados.');
  await page.getByLabel('Lugar', { exact: true }).fill('Reynosa, Tamaulipas');
  await page.getByLabel('Fecha de los hechos', { exact: true }).fill('2026-11-20');
  await page.getByLabel('Etiquetas', { exact: true }).fill('secuestro, autobús');
  // The server goes away as it is saved: the draft stays, and is saved by itself when it is back.
  proxy.cut();
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByText('No se guardó todavía: el servidor no responde.').waitFor(LONG);
  t.equal(await page.getByLabel('Relato', { exact: true }).inputValue(), 'Nos bajaron del autobús cerca del retén. Eran cinco hombres armados.', 'the draft is still on screen');
  proxy.restore();
  await page.getByRole('heading', { name: 'Secuestro en la carretera a Reynosa' }).waitFor(LONG);
  t.pass('saved without retyping once the server answered again');

  // The photo, then the video, with the connection cut while the video is on its way.
  const picker = page.getByLabel('Elegir archivos');
  await picker.setInputFiles(photo.path);
  const photoItem = page.getByRole('listitem').filter({ hasText: 'foto-frontera.png' }).filter({ has: page.getByRole('button', { name: 'Ver' }) });
  await photoItem.waitFor(LONG);
  t.equal((await photoItem.locator('code').innerText()).trim(), photo.sha256, 'the SHA-256 taken at intake is the photo’s');
  const thumb = page.getByRole('img', { name: 'Miniatura de foto-frontera.png' });
  await thumb.waitFor(LONG);
  t.equal(await thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth), 320, 'a thumbnail made on the device');

  await picker.setInputFiles(video.path);
  const bar = page.getByRole('progressbar', { name: 'Progreso de video-testimonio.mp4' });
  await bar.waitFor(LONG);
  await page.waitForFunction(() => Number(document.querySelector('progress')?.getAttribute('value') ?? 0) > 0, undefined, LONG);
  proxy.cut();
  await page.getByText('Esperando conexión').waitFor(LONG);
  t.pass('the page says it is waiting for the connection');
  await new Promise((r) => setTimeout(r, 1500));
  proxy.restore();
  const videoItem = page.getByRole('listitem').filter({ hasText: 'video-testimonio.mp4' }).filter({ has: page.getByRole('button', { name: 'Descargar' }) });
  await videoItem.waitFor(LONG);
  t.equal((await videoItem.locator('code').innerText()).trim(), video.sha256, 'the video arrived whole after the connection came back, without a click');
  const stored = await sql<{ n: string }>`select count(*)::text as n from files where completed_at is not null`.execute(server.db);
  t.equal(stored.rows[0]!.n, '2', 'the server holds two complete files');

  // Log out, log in again, find it by search.
  await page.getByRole('button', { name: `Cuenta (${HANDLE})` }).click();
  await page.getByRole('button', { name: 'Cerrar sesión' }).click();
  await page.getByText('Sesión cerrada.').waitFor();
  await page.getByLabel('Frase de contraseña', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByRole('heading', { name: 'Testimonios' }).waitFor(LONG);
  t.same(await storageContents(context, page), EMPTY_STORAGE, 'after login, no browser storage holds anything');
  await page.getByLabel('Buscar en títulos, lugares y etiquetas').fill('reynosa');
  await page.getByRole('button', { name: 'Buscar', exact: true }).click();
  await page.getByText(/1 testimonio encontrado/).waitFor(LONG);
  await page.getByRole('button', { name: /Secuestro en la carretera a Reynosa/ }).click();

  // Open the photo: verified in the worker before it is shown.
  await photoItem.getByRole('button', { name: 'Ver' }).click();
  const shown = page.getByRole('img', { name: 'foto-frontera.png', exact: true });
  await shown.waitFor(LONG);
  await page.getByText('Verificado: el SHA-256 coincide').waitFor();
  t.ok(await shown.evaluate((img) => (img as HTMLImageElement).naturalWidth === 640), 'the photo is shown at its size');
  // And saved, as a person would keep a copy: the bytes the browser saves are the original's.
  const [download] = await Promise.all([page.waitForEvent('download', LONG), photoItem.getByRole('button', { name: 'Descargar' }).click()]);
  t.equal(download.suggestedFilename(), 'foto-frontera.png', 'saved under its original name');
  const shownSha = sha256(await readFile((await download.path())!));
  t.equal(shownSha, photo.sha256, 'the photo opened is byte for byte the one attached');

  // Lock: the worker and its keys are gone, and so is the session on the server.
  t.equal(page.workers().length, 1, 'one worker holds the keys while unlocked');
  await page.getByRole('button', { name: 'Bloquear' }).click();
  await page.getByText('La bóveda está bloqueada.').waitFor();
  for (let i = 0; i < 50 && page.workers().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(page.workers().length, 0, 'the worker was terminated');
  const live = await sql<{ n: string }>`select count(*)::text as n from sessions s join accounts a on a.id = s.account_id where a.handle = ${HANDLE} and s.expires_at > now()`.execute(server.db);
  t.equal(live.rows[0]!.n, '0', 'no session of the account is still valid: a request with the old token fails');
  t.same(await storageContents(context, page), EMPTY_STORAGE, 'after lock, no browser storage holds anything');
  t.equal(await page.getByText('Secuestro en la carretera').count(), 0, 'nothing decrypted stays on the page');

  t.same(violations, [], 'no Content-Security-Policy violation during the whole run');

  // The CSP at work: an inline script and an inline event handler are refused. (eval is
  // not tried here: code run through DevTools, as page.evaluate is, is exempt from it.)
  const probe = await page.evaluate(() => {
    const w = window as unknown as { __inlineRan?: boolean; __handlerRan?: boolean };
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.body.append(s);
    const b = document.createElement('button');
    b.setAttribute('onclick', 'window.__handlerRan = true');
    document.body.append(b);
    b.click();
    return { inline: w.__inlineRan === true, handler: w.__handlerRan === true };
  });
  t.same(probe, { inline: false, handler: false }, 'an inline script and an inline event handler are blocked');
  for (let i = 0; i < 20 && violations.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  t.ok(violations.some((v) => /script-src/.test(v)), 'and the browser reports the violation');
  await page.screenshot({ path: `${dir}/locked.png` });
});
