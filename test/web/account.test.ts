// The account in the browser: change the passphrase (the old one stops working), end another
// device's session, and recover with the 24 words after the passphrase is lost.
import t from 'tap';
import { build } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { login, registerThroughTheForm } from './people.ts';

const HANDLE = 'cuenta-propia';
const FIRST = 'gaviota ladrillo menta trompeta cedro';
const SECOND = 'zafiro almohada pingüino escalera miel';
const THIRD = 'relámpago tamarindo brújula osezno lino';
const LONG = { timeout: 90_000 };

t.test('change the passphrase, end another session, recover with the words', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const laptop = await spanishPage(browser);
  const phone = await spanishPage(browser);
  await laptop.page.goto(server.url);
  const words = await registerThroughTheForm(laptop.page, HANDLE, FIRST);
  await phone.page.goto(server.url);
  await login(phone.page, HANDLE, FIRST);

  // The laptop ends the phone's session (a phone lost at a checkpoint).
  const p = laptop.page;
  await p.getByRole('button', { name: `Cuenta (${HANDLE})` }).click();
  const others = p.getByRole('button', { name: 'Cerrar esa sesión' });
  await others.first().waitFor(LONG);
  t.equal(await others.count(), 1, 'the other device is listed');
  await others.click();
  await p.waitForFunction(() => !document.body.innerText.includes('Cerrar esa sesión'), undefined, LONG);
  await phone.page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await phone.page.getByLabel('Título', { exact: true }).fill('Desde el teléfono');
  await phone.page.getByRole('button', { name: 'Guardar' }).click();
  await phone.page.getByText('Su sesión terminó.').waitFor(LONG);
  t.pass('the phone is refused at its next request');

  // A new passphrase; the old one no longer opens the vault.
  await p.getByLabel('Frase de contraseña actual', { exact: true }).fill(FIRST);
  await p.getByLabel('Nueva frase de contraseña', { exact: true }).fill(SECOND);
  await p.getByText('Frase suficientemente fuerte.').waitFor(LONG);
  await p.getByLabel('Repita la frase de contraseña', { exact: true }).fill(SECOND);
  await p.getByRole('button', { name: 'Cambiar', exact: true }).click();
  await p.getByText('Frase cambiada.').waitFor(LONG);
  await p.getByRole('button', { name: 'Bloquear' }).click();
  await p.getByLabel('Frase de contraseña', { exact: true }).fill(FIRST);
  await p.getByRole('button', { name: 'Entrar' }).click();
  await p.getByText('El nombre de usuario o la frase de contraseña no son correctos.').waitFor(LONG);
  await login(p, HANDLE, SECOND);
  t.pass('the new passphrase opens it');

  // The passphrase is lost: the recovery words set a third one.
  await p.getByRole('button', { name: 'Bloquear' }).click();
  await p.getByRole('button', { name: 'Olvidé mi frase de contraseña' }).click();
  await p.getByLabel('Las 24 palabras de recuperación').fill(words.join(' '));
  await p.getByLabel('Nueva frase de contraseña', { exact: true }).fill(THIRD);
  await p.getByText('Frase suficientemente fuerte.').waitFor(LONG);
  await p.getByRole('button', { name: 'Poner la nueva frase' }).click();
  await p.getByRole('heading', { name: 'Testimonios' }).waitFor(LONG);
  await p.getByRole('button', { name: 'Bloquear' }).click();
  await login(p, HANDLE, THIRD);
  t.pass('recovered with the words, and the new passphrase opens it');
  t.same([...laptop.violations, ...phone.violations], [], 'no CSP violation');
});
