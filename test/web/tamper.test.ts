// A database thief or a hostile operator edits one cell of a stored testimony: the browser
// shows the tampering warning, never the altered content.
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { build } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { login } from './people.ts';

const PASSPHRASE = 'linterna despacio tortuga nublado jícama';
const LONG = { timeout: 60_000 };

t.test('a record edited in the database shows the tampering warning, not its content', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  // Written by the library, at the default (browser) Argon2id cost.
  const { vault } = await Vault.register({ server: server.url, handle: 'coordinacion', passphrase: PASSPHRASE });
  const { id } = await vault.createRecord({ title: 'Extorsión en Tapachula', narrative: 'Les cobraron dos mil pesos por pasar.' });
  await vault.createRecord({ title: 'Detención en Saltillo', narrative: 'Los retuvieron tres días.' });
  await vault.logout();

  const browser = await launch(t);
  const { page, violations } = await spanishPage(browser);
  await page.goto(server.url);
  await login(page, 'coordinacion', PASSPHRASE);
  await page.getByRole('button', { name: /Extorsión en Tapachula/ }).waitFor(LONG);

  // One byte of the stored ciphertext changes while the list is on screen.
  const row = await server.db.selectFrom('record_versions').select(['body']).where('record_id', '=', id).where('version', '=', 1).executeTakeFirstOrThrow();
  const body = Buffer.from(row.body);
  body[body.length - 20]! ^= 0x01;
  await server.db.updateTable('record_versions').set({ body }).where('record_id', '=', id).where('version', '=', 1).execute();

  await page.getByRole('button', { name: /Extorsión en Tapachula/ }).click();
  await page.getByRole('heading', { name: 'Advertencia: posible manipulación' }).waitFor(LONG);
  t.equal(await page.getByText('Les cobraron dos mil pesos').count(), 0, 'the narrative is not shown');
  t.equal(await page.getByRole('button', { name: 'Editar' }).count(), 0, 'nothing is offered to do with it');
  t.match(await page.getByRole('alert').innerText(), /VAULT_ERR_(DECRYPTION|SIGNATURE|INTEGRITY)/, 'the code names a failed verification');

  // The list, read again, warns instead of listing what the server sent.
  await page.getByRole('button', { name: 'Testimonios' }).first().click();
  await page.getByRole('heading', { name: 'Advertencia: posible manipulación' }).waitFor(LONG);
  t.equal(await page.getByText('Extorsión en Tapachula').count(), 0, 'the tampered title is not listed');
  t.same(violations, [], 'no CSP violation');
});
