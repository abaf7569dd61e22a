// File parts leave from a worker that does nothing else ([Note: parts sent from a thread of
// their own]); the coordinator and HTTP/2 tests check that they do, through a cut connection.
// Here the part sender cannot start (its script is missing from the server): the vault
// worker sends the parts itself, and the file arrives whole, with nothing for the person to do.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { build } from '../helper.ts';
import { buildWeb, launch, partsSentByWorker, spanishPage } from './browser.ts';
import { evidenceFolder, writeRandom } from './fixtures.ts';
import { newTestimony, registerThroughTheForm } from './people.ts';

const PASSPHRASE = 'granizo candelabro lechuza pimiento ámbar';
const LONG = { timeout: 60_000 };

t.test('a part sender that cannot start: the vault worker sends the parts, and the file arrives whole', async (t) => {
  const dist = await buildWeb(t);
  const removed = (await readdir(path.join(dist, 'assets'))).filter((f) => /^part-sender-[^/]+\.js$/.test(f));
  t.equal(removed.length, 1, 'the build has one part sender');
  for (const f of removed) await rm(path.join(dist, 'assets', f));
  const server = await build(t, { WEB_DIST_DIR: dist });
  const asked: string[] = [];
  server.app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.includes('/assets/part-sender-')) res.on('finish', () => asked.push(`${res.statusCode}`));
  });
  const browser = await launch(t);
  const { page, violations } = await spanishPage(browser);
  await page.goto(server.url);
  await registerThroughTheForm(page, 'albergue-norte', PASSPHRASE);
  await newTestimony(page, 'Audio de la entrevista');

  const audio = await writeRandom(await evidenceFolder(t), 'entrevista.ogg', 20);
  await page.getByLabel('Elegir archivos').setInputFiles(audio.path);
  const item = page.getByRole('listitem').filter({ hasText: 'entrevista.ogg' }).filter({ has: page.getByRole('button', { name: 'Descargar' }) });
  await item.waitFor(LONG);
  t.equal((await item.locator('code').innerText()).trim(), audio.sha256, 'the SHA-256 taken at intake is the file’s');
  t.ok(asked.length >= 1 && asked.every((status) => status === '404'), `the part sender’s script was asked for, and not found (${asked.join(', ')})`);
  const sentBy = await partsSentByWorker(page);
  const senders = Object.entries(sentBy).filter(([, n]) => n > 0);
  t.equal(senders.length, 1, `one worker sent the parts (${JSON.stringify(sentBy)})`);
  t.match(senders[0]?.[0], /\/assets\/main-[^/]+\.js$/, 'the vault worker itself');
  t.ok((senders[0]?.[1] ?? 0) >= 3, 'all three parts of 20 MiB');
  const complete = await server.db.selectFrom('files').select('id').where('completed_at', 'is not', null).execute();
  t.equal(complete.length, 1, 'the server holds the file, complete');
  t.same(violations, [], 'no CSP violation');
});
