// Usable on a 360 px phone, at 200 % zoom and from the keyboard alone: every screen is
// drawn at 360 CSS px (what a 720 px window shows at 200 %), must not scroll sideways, and
// every control has a name a screen reader can read out. Screenshots of each screen are
// left in .tap/screens/ for reviewers.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { build } from '../helper.ts';
import { buildWeb, launch, sidewaysOverflow } from './browser.ts';
import { login, registerThroughTheForm } from './people.ts';

const PASSPHRASE = 'cigarra pradera tambor ventisca ópalo';
const SHOTS = path.resolve(import.meta.dirname, '../../.tap/screens');

/** Controls without an accessible name. */
async function audit(page: Page) {
  return page.evaluate(() => {
    const unnamed: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('input, select, textarea, button, meter, progress')) {
      if ((el as HTMLInputElement).type === 'hidden') continue;
      const labelled = ('labels' in el && (el as HTMLInputElement).labels?.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      const text = el.tagName === 'BUTTON' && el.textContent!.trim();
      if (!labelled && !text) unnamed.push(el.outerHTML.slice(0, 80));
    }
    return unnamed;
  });
}

async function check(t: Test, page: Page, screen: string) {
  const unnamed = await audit(page);
  const overflow = await sidewaysOverflow(page);
  t.same(unnamed, [], `${screen}: every control has a name`);
  t.ok(overflow <= 0, `${screen}: nothing wider than 360 px (overflow ${overflow} px)`);
  await page.screenshot({ path: path.join(SHOTS, `${screen}.png`), fullPage: true });
}

t.test('every screen at 360 px, named controls, keyboard only', async (t) => {
  await mkdir(SHOTS, { recursive: true });
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'es-MX', viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto(server.url);

  await page.getByRole('heading', { name: 'Entrar a la bóveda' }).waitFor();
  await check(t, page, '01-login');
  await page.getByRole('button', { name: 'Crear una cuenta' }).click();
  await check(t, page, '02-register');
  await page.getByRole('button', { name: 'Ya tengo cuenta: entrar' }).click();
  await page.getByRole('button', { name: 'Olvidé mi frase de contraseña' }).click();
  await check(t, page, '03-recover');
  await page.getByRole('button', { name: 'Ya tengo cuenta: entrar' }).click();

  await registerThroughTheForm(page, 'refugio-norte', PASSPHRASE);
  await check(t, page, '04-records-empty');
  // The screens are one row that scrolls sideways on a phone: five rows of buttons took 230 px of 740.
  const header = (await page.locator('header.top').boundingBox())!;
  t.ok(header.height <= 150, `the header takes ${header.height} px of the phone's height, at most 150`);
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await check(t, page, '05-editor');
  await page.getByLabel('Título', { exact: true }).fill('Testimonio de prueba con un título bastante largo para un teléfono');
  await page.getByLabel('Relato', { exact: true }).fill('Una línea.\nOtra línea con unapalabramuylargaquenodebehacerquelapaginadesbordehaciaelcostado.');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: /Testimonio de prueba/ }).waitFor({ timeout: 60_000 });
  await check(t, page, '06-record');
  // An edit makes version 2; the versions say what changed, and version 1 reads as it was.
  await page.getByRole('button', { name: 'Editar' }).click();
  await page.getByLabel('Lugar', { exact: true }).fill('Piedras Negras, Coahuila');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByText('Piedras Negras, Coahuila').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Versiones' }).click();
  await page.getByText('Cambió: lugar').waitFor();
  t.equal(await page.getByText('Creación del testimonio.').count(), 1, 'version 1 is listed as the creation');
  await check(t, page, '07-versions');
  await page.getByRole('button', { name: 'Leer esta versión' }).first().click();
  await page.getByRole('heading', { name: 'Versión 2, tal como se guardó' }).waitFor();
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Versión 2, tal como se guardó', 'the version opened gets the focus: below the list, out of sight on a phone');
  t.match(await page.locator('.old-version').innerText(), /Lugar\s+Piedras Negras, Coahuila/, 'with every field, so "Cambió: lugar" can be checked');
  await page.getByRole('button', { name: 'Leer esta versión' }).last().click();
  await page.getByRole('heading', { name: 'Versión 1, tal como se guardó' }).waitFor();
  t.notMatch(await page.locator('.old-version').innerText(), /Piedras Negras/, 'version 1 had no place');
  await page.getByRole('button', { name: 'Volver' }).click();
  await page.getByRole('button', { name: 'Cuenta (refugio-norte)' }).click();
  await page.getByRole('heading', { name: 'Sesiones abiertas' }).waitFor();
  await page.getByRole('button', { name: 'Crear código' }).click();
  await page.locator('.invite-code').waitFor();
  await check(t, page, '08-account');
  await page.getByRole('button', { name: 'Actividad' }).click();
  await page.getByText('creó su cuenta').first().waitFor({ timeout: 60_000 });
  await check(t, page, '08b-activity');
  await page.getByRole('button', { name: 'Contactos' }).click();
  await check(t, page, '08c-contacts');
  await page.getByRole('button', { name: 'Testimonios' }).first().click();
  await page.getByRole('button', { name: /Testimonio de prueba/ }).waitFor();
  await check(t, page, '09-records');

  // Keyboard only: lock, then log in again with Tab, typing and Enter.
  await page.getByRole('button', { name: 'Bloquear' }).focus();
  await page.keyboard.press('Enter');
  await page.getByText('La bóveda está bloqueada.').waitFor();
  await page.getByLabel('Frase de contraseña', { exact: true }).focus();
  await page.keyboard.type(PASSPHRASE);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Testimonios' }).waitFor({ timeout: 60_000 });
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
  t.ok(focused.length > 0, 'Tab reaches a control with a name');
  await page.getByRole('button', { name: /Testimonio de prueba/ }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /Testimonio de prueba/ }).waitFor({ timeout: 60_000 });
  t.pass('a testimony opens from the keyboard');

  // English on request, for everything a person reads.
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('button', { name: 'Lock' }).waitFor();
  t.equal(await page.locator('html').getAttribute('lang'), 'en', 'the page says it is in English');
  await check(t, page, '10-record-en');

  // Delete, after saying yes in the dialog.
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  t.equal(await page.getByRole('heading', { name: /Testimonio de prueba/ }).count(), 1, 'cancel keeps it');
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Yes, delete for ever' }).click();
  await page.getByText('No testimonies yet.').waitFor({ timeout: 60_000 });
  const left = await server.db.selectFrom('record_versions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(Number(left.n), 0, 'its versions are gone from the server');
});

t.test('quick exit: Shift+Escape locks, clears the page and leaves', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'es-MX' });
  // Where the quick exit goes, answered here: this machine reaches no outside site.
  await context.route('https://www.google.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>clima</title>' }));
  const page = await context.newPage();
  await page.goto(server.url);
  await registerThroughTheForm(page, 'salida-rapida', PASSPHRASE);
  t.equal(page.workers().length, 1, 'the worker runs while unlocked');
  // The skip link moves the focus without a #main entry in the history, which Back would
  // have found after the exit (the attacker review).
  const entries = await page.evaluate(() => history.length);
  await page.getByRole('link', { name: 'Ir al contenido' }).focus();
  await page.keyboard.press('Enter');
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Testimonios', 'the skip link moves to the screen heading');
  t.equal(await page.evaluate(() => history.length), entries, 'without a history entry');
  await page.keyboard.press('Shift+Escape');
  await page.waitForURL(/google\.com/);
  t.equal(await page.title(), 'clima', 'the tab shows another site');
  t.equal(page.workers().length, 0, 'the worker is gone');
  await page.goBack().catch(() => {});
  t.notOk(page.url().startsWith(server.url), `Back does not return to the vault, not even its login page (${page.url()})`);

  // The visible button does the same.
  const again = await context.newPage();
  await again.goto(server.url);
  await login(again, 'salida-rapida', PASSPHRASE);
  await again.getByRole('button', { name: 'Salida rápida' }).click();
  await again.waitForURL(/google\.com/);
  t.equal(again.workers().length, 0, 'the button leaves too');
});

t.test('the vault locks itself after the idle time the person chose', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const page = await (await browser.newContext({ locale: 'es-MX' })).newPage();
  await page.clock.install();
  await page.goto(server.url);
  await registerThroughTheForm(page, 'inactiva', PASSPHRASE);
  await page.getByRole('button', { name: 'Cuenta (inactiva)' }).click();
  await page.getByLabel('Bloquear tras un tiempo sin uso').selectOption('5');
  await page.clock.runFor(4 * 60_000);
  t.equal(await page.getByRole('button', { name: 'Bloquear' }).count(), 1, 'still open after 4 idle minutes');
  await page.clock.runFor(61_000 + 5_000);
  await page.getByText('La bóveda se bloqueó por inactividad.').waitFor({ timeout: 30_000 });
  t.equal(await page.getByRole('button', { name: 'Bloquear' }).count(), 0, 'locked after 5');
  for (let i = 0; i < 50 && page.workers().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(page.workers().length, 0, 'and the worker is gone');
});
