// What a newcomer's walk through the web client found losing or refusing what a person typed,
// on a phone (360 px), as that person: a user name with a space refused without naming the
// field; "Descartar cambios" and the delete button one press from losing a testimony; a lock
// that dropped a draft without a word; recovery words copied from paper with their numbers
// refused, and a mistyped word not pointed at.
import t from 'tap';
import { build } from '../helper.ts';
import { buildWeb, launch } from './browser.ts';
import { registerThroughTheForm } from './people.ts';

const LONG = { timeout: 90_000 };
const HANDLE = 'coord-sur';
const PASSPHRASE = 'jilguero canasta relámpago nopal ciruela';

t.test('what a person typed is not lost, and what is refused says what to fix', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'es-MX', viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto(server.url);

  // A user name as people write their own: refused, naming the field and the rule.
  await page.getByRole('button', { name: 'Crear una cuenta' }).click();
  await page.getByLabel('Nombre de usuario', { exact: true }).fill('Coordinación Sur');
  await page.getByLabel('Nueva frase de contraseña', { exact: true }).fill(PASSPHRASE);
  await page.getByText('Frase suficientemente fuerte.').waitFor(LONG);
  await page.getByLabel('Repita la frase de contraseña', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Crear cuenta' }).click();
  const refused = page.getByRole('alert');
  await refused.waitFor(LONG);
  t.match(await refused.innerText(), /El nombre de usuario no es válido: use de 3 a 32 caracteres, letras de la a a la z \(sin acentos ni ñ\)/, 'the refusal names the user name and its rule');
  t.notMatch(await refused.innerText(), /Algún dato no es válido/, 'not "some data is not valid"');
  await page.getByRole('button', { name: 'Ya tengo cuenta: entrar' }).click();
  const words = await registerThroughTheForm(page, HANDLE, PASSPHRASE);

  // "Descartar cambios" after typing asks first, and the safe answer has the focus.
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('Lo que contó en la cocina');
  await page.getByLabel('Relato', { exact: true }).fill('Llegó el martes con su hija.');
  await page.getByRole('button', { name: 'Descartar cambios' }).click();
  const discard = page.getByRole('dialog', { name: '¿Descartar lo escrito?' });
  await discard.waitFor();
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Seguir escribiendo', 'the focus is on "keep writing"');
  await page.keyboard.press('Enter');
  await discard.waitFor({ state: 'hidden' });
  t.equal(await page.getByLabel('Relato', { exact: true }).inputValue(), 'Llegó el martes con su hija.', 'a second Enter keeps the draft');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: 'Lo que contó en la cocina' }).waitFor(LONG);

  // Editing without changing anything needs no question.
  await page.getByRole('button', { name: 'Editar' }).click();
  await page.getByRole('button', { name: 'Descartar cambios' }).click();
  await page.getByRole('heading', { name: 'Lo que contó en la cocina' }).waitFor(LONG);
  t.pass('an unchanged draft is left without a question');

  // Deleting: the focus is on "Cancelar", so Enter pressed twice deletes nothing.
  await page.getByRole('button', { name: 'Borrar' }).click();
  const confirm = page.getByRole('dialog', { name: '¿Borrar este testimonio?' });
  await confirm.waitFor();
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancelar', 'the focus is on "Cancelar"');
  await page.keyboard.press('Enter');
  await confirm.waitFor({ state: 'hidden' });
  t.equal(await page.getByRole('heading', { name: 'Lo que contó en la cocina' }).count(), 1, 'the testimony is still there');

  // A lock drops a draft typed in, and the login screen says so.
  await page.getByRole('button', { name: 'Testimonios' }).first().click();
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('A medio escribir');
  await page.getByRole('button', { name: 'Bloquear' }).click();
  await page.getByRole('heading', { name: 'Entrar a la bóveda' }).waitFor(LONG);
  t.match(await page.locator('main').innerText(), /Se borró de la memoria 1 testimonio que se estaba escribiendo y no se había guardado/, 'the lost draft is named');

  // Recovery words as copied from paper, numbered; one mistyped is pointed at by its place.
  await page.getByRole('button', { name: 'Olvidé mi frase de contraseña' }).click();
  await page.getByLabel('Nombre de usuario', { exact: true }).fill(HANDLE);
  const numbered = (list: string[]) => list.map((w, i) => `${i + 1}. ${w}`).join('\n');
  const typo = [...words];
  typo[4] = `${typo[4]}x`;
  await page.getByLabel('Las 24 palabras de recuperación', { exact: true }).fill(numbered(typo));
  const fresh = 'gorrión tejado marimba cuaderno lluvia';
  await page.getByLabel('Nueva frase de contraseña', { exact: true }).fill(fresh);
  await page.getByRole('button', { name: 'Poner la nueva frase' }).click();
  const wrong = page.getByRole('alert');
  await wrong.waitFor(LONG);
  t.match(await wrong.innerText(), /La palabra número 5 no está en la lista/, 'the mistyped word is pointed at by its place');
  t.notMatch(await wrong.innerText(), new RegExp(typo[4]!), 'and not repeated: the words are the key');
  await page.getByLabel('Las 24 palabras de recuperación', { exact: true }).fill(numbered(words));
  await page.getByRole('button', { name: 'Poner la nueva frase' }).click();
  await page.getByRole('heading', { name: 'Testimonios' }).waitFor(LONG);
  t.pass('the numbered words, copied right, recover the account');
});

t.test('an invite code is copied with a button, and works as heard over the phone', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist, REGISTRATION: 'invite' });
  const browser = await launch(t);
  const admin = await browser.newContext({ locale: 'es-MX', viewport: { width: 360, height: 740 } });
  await admin.grantPermissions(['clipboard-read', 'clipboard-write']);
  const a = await admin.newPage();
  await a.goto(server.url);
  await registerThroughTheForm(a, 'admin-albergue', PASSPHRASE);
  await a.getByRole('button', { name: 'Cuenta (admin-albergue)' }).click();
  await a.getByRole('button', { name: 'Crear código' }).click();
  const code = (await a.locator('.invite-code').innerText()).trim();
  t.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/, `a code to read out (${code})`);
  await a.getByRole('button', { name: 'Copiar' }).click();
  await a.getByText('Copiado.').waitFor(LONG);
  t.equal(await a.evaluate(() => navigator.clipboard.readText()), code, 'the button copied it');

  // The lawyer writes it down as she hears it.
  const heard = code.toLowerCase().replaceAll('-', ' ').replaceAll('0', 'o').replaceAll('1', 'l');
  const l = await (await browser.newContext({ locale: 'es-MX' })).newPage();
  await l.goto(server.url);
  await registerThroughTheForm(l, 'lic-dictado', 'pelícano sombrero arcilla trueno lima', heard);
  t.pass('the code as heard created the account');
});
