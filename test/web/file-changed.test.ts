// A picked file that changes on disk before it is sent ([Note: a picked file that cannot be
// read again]): Chromium refuses to open it again, and the person reads that the file changed
// and must be picked again (no "try again", which would read the same way); nothing of either
// reading is stored, and the file picked again goes up whole under the new bytes' SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { build } from '../helper.ts';
import { TcpProxy } from '../tcp-proxy.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { evidenceFolder } from './fixtures.ts';
import { registerThroughTheForm } from './people.ts';

const PASSPHRASE = 'granizo candelabro lechuza pimiento ámbar';
const LONG = { timeout: 60_000 };

type Tap = { teardown(fn: () => unknown): void };

/** A person registered through the page, served through a proxy the test can stall or cut, on a new testimony's page. */
async function testimonyBehindProxy(t: Tap, handle: string, title: string) {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const target = new URL(server.url);
  const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port) });
  t.teardown(() => proxy.close());
  const browser = await launch(t);
  const { page, violations } = await spanishPage(browser);
  await page.goto(`http://127.0.0.1:${proxy.port}`);
  await registerThroughTheForm(page, handle, PASSPHRASE);
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill(title);
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: title }).waitFor(LONG);
  return { server, proxy, page, violations };
}

t.test('a file rewritten on disk while its upload waits for the connection: said so, nothing of it stored, and sent whole once picked again', async (t) => {
  const { server, proxy, page, violations } = await testimonyBehindProxy(t, 'albergue-este', 'Video del cruce');

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

t.test('a file rewritten in place while it is being read and sent: the chunk check stops it, and nothing of it is stored', async (t) => {
  // Chromium does not notice this one: a stream of a File opened before the rewrite reads the
  // new bytes without an error ([Note: a picked file that cannot be read again]). The chunk
  // digests taken before the first byte was encrypted do ([Note: a key never meets two
  // plaintexts]): without them this file would be stored with a SHA-256 that is not its own.
  const { server, proxy, page, violations } = await testimonyBehindProxy(t, 'albergue-oeste', 'Video largo');

  const dir = await evidenceFolder(t);
  const file = path.join(dir, 'largo.mp4');
  const MIB = 1024 * 1024;
  const size = 128 * MIB;
  await writeFile(file, randomBytes(size));
  // Once 20 MiB of parts have gone out, the reading that encrypts is under way (its stream is
  // open) and the link stalls there, however loaded the machine: by then at most about 64 MiB
  // can have been read (parts sent, in flight, being encrypted, and the reader's ring ahead).
  // The file's last 32 MiB are rewritten where they lie (same file, same size); the link comes back.
  const stalled = proxy.holdAfter(20 * MIB);
  await page.getByLabel('Elegir archivos').setInputFiles(file);
  await stalled;
  const handle = await open(file, 'r+');
  await handle.write(randomBytes(32 * MIB), 0, 32 * MIB, size - 32 * MIB);
  await handle.close();
  proxy.release();

  await page.getByText('El archivo cambió en su equipo mientras se subía, o ya no se puede leer.', { exact: false }).waitFor(LONG);
  t.pass('the page says the file changed');
  const complete = await server.db.selectFrom('files').select('id').where('completed_at', 'is not', null).execute();
  t.same(complete, [], 'no file was completed from the mixed reading');
  t.equal(await page.getByRole('button', { name: 'Descargar' }).count(), 0, 'nothing listed as stored');
  t.same(violations, [], 'no CSP violation');
});
