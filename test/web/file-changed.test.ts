// A picked file that changes on disk before it is sent ([Note: a picked file that cannot be
// read again]): Chromium refuses to open it again, and the person reads that the file changed
// and must be picked again (no "try again", which would read the same way); nothing of either
// reading is stored, and the file picked again goes up whole under the new bytes' SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { build } from '../helper.ts';
import { TcpProxy } from '../tcp-proxy.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { evidenceFolder } from './fixtures.ts';
import { registerThroughTheForm } from './people.ts';

const PASSPHRASE = 'granizo candelabro lechuza pimiento ámbar';
const LONG = { timeout: 60_000 };

t.test('a file rewritten on disk while its upload waits for the connection: said so, nothing of it stored, and sent whole once picked again', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const target = new URL(server.url);
  const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port) });
  t.teardown(() => proxy.close());
  const browser = await launch(t);
  const { page, violations } = await spanishPage(browser);
  await page.goto(`http://127.0.0.1:${proxy.port}`);
  await registerThroughTheForm(page, 'albergue-este', PASSPHRASE);

  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('Video del cruce');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: 'Video del cruce' }).waitFor(LONG);

  const dir = await evidenceFolder(t);
  const file = path.join(dir, 'cruce.mp4');
  const before = randomBytes(3 * 1024 * 1024 + 4321);
  await writeFile(file, before);

  // The connection drops as the file is picked: the page reads it, cannot send it, and waits.
  proxy.cut();
  await page.getByLabel('Elegir archivos').setInputFiles(file);
  await page.getByText('Esperando conexión').waitFor(LONG);
  // Meanwhile the phone's camera app, say, finishes writing the file: other bytes, same size.
  const after = randomBytes(before.length);
  await writeFile(file, after);
  proxy.restore();

  await page.getByText('El archivo cambió en su equipo mientras se subía, o ya no se puede leer.', { exact: false }).waitFor(LONG);
  t.pass('the page says the file changed and what to do');
  const item = page.getByRole('listitem').filter({ hasText: 'cruce.mp4' });
  t.equal(await item.getByRole('button', { name: 'Intentar de nuevo' }).count(), 0, 'no "try again": the same File reads the same way');
  t.ok(await item.getByText('Código: VAULT_ERR_UPLOAD_SOURCE_CHANGED').isVisible(), 'the code is shown for whoever helps');
  const complete = await server.db.selectFrom('files').select('id').where('completed_at', 'is not', null).execute();
  t.same(complete, [], 'no file was completed from either reading');

  // Picked again, the file as it is now goes up whole, under its own SHA-256.
  await page.getByLabel('Elegir archivos').setInputFiles(file);
  const landed = page.getByRole('listitem').filter({ hasText: 'cruce.mp4' }).filter({ has: page.getByRole('button', { name: 'Descargar' }) });
  await landed.waitFor(LONG);
  t.equal((await landed.locator('code').innerText()).trim(), createHash('sha256').update(after).digest('hex'), 'the SHA-256 taken at intake is the new bytes’');
  t.same(violations, [], 'no CSP violation');
});
