// What a person reads when something goes wrong, in plain Spanish with what to do: a wrong
// passphrase, a server that cannot be reached, a full quota (the file says why and can be
// tried again), never a silent failure.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { build } from '../helper.ts';
import { TcpProxy } from '../tcp-proxy.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { evidenceFolder } from './fixtures.ts';
import { login, registerThroughTheForm } from './people.ts';

const PASSPHRASE = 'granizo candelabro lechuza pimiento ámbar';
const LONG = { timeout: 60_000 };

t.test('wrong passphrase, unreachable server, full quota: each says what happened and what to do', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist, USER_QUOTA_BYTES: 1024 * 1024 });
  const target = new URL(server.url);
  const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port) });
  t.teardown(() => proxy.close());
  const browser = await launch(t);
  const { page, violations } = await spanishPage(browser);
  await page.goto(`http://127.0.0.1:${proxy.port}`);
  await registerThroughTheForm(page, 'albergue-sur', PASSPHRASE);

  // A file larger than the account's room: refused, explained, and offered again.
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('Con un video grande');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: 'Con un video grande' }).waitFor(LONG);
  const dir = await evidenceFolder(t);
  const big = path.join(dir, 'grande.mp4');
  await writeFile(big, randomBytes(3 * 1024 * 1024));
  await page.getByLabel('Elegir archivos').setInputFiles(big);
  await page.getByText('No se pudo enviar').waitFor(LONG);
  await page.getByText('Su cuenta no tiene espacio para este archivo.').waitFor();
  t.ok(await page.getByText('Código: VAULT_ERR_QUOTA_EXCEEDED').isVisible(), 'the code is shown for whoever helps');
  t.equal(await page.getByRole('button', { name: 'Intentar de nuevo' }).count(), 1, 'the file can be tried again');

  // Log out; a wrong passphrase.
  await page.getByRole('button', { name: 'Bloquear' }).click();
  await page.getByLabel('Frase de contraseña', { exact: true }).fill('granizo candelabro lechuza pimiento');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByText('El nombre de usuario o la frase de contraseña no son correctos.').waitFor(LONG);
  t.pass('a wrong passphrase is said so');

  // The server away.
  proxy.cut();
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByText('No se pudo conectar con el servidor.').waitFor(LONG);
  t.pass('an unreachable server is said so');
  proxy.restore();
  await page.getByLabel('Frase de contraseña', { exact: true }).fill('');
  await login(page, 'albergue-sur', PASSPHRASE);
  t.pass('and the same form works once it is back');
  t.same(violations, [], 'no CSP violation');
});
