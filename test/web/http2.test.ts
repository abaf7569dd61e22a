// The web client on a server that speaks HTTPS itself ([Note: HTTP/2 served directly]): the
// page comes over HTTP/2, a video's parts go up as HTTP/2 streams with the connection cut on
// the way and restored (resumed without a click), and the video comes back down byte for byte.
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import t from 'tap';
import { build } from '../helper.ts';
import { TcpProxy } from '../tcp-proxy.ts';
import { testCertificate } from '../tls.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { evidenceFolder, sha256, writeRandom } from './fixtures.ts';
import { registerThroughTheForm } from './people.ts';

const PASSPHRASE = 'granizo candelabro lechuza pimiento ámbar';
const LONG = { timeout: 60_000 };

t.test('over HTTP/2, a video goes up through a cut connection, and comes down whole', async (t) => {
  const cert = await testCertificate();
  t.teardown(() => cert.remove());
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist, TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile });
  // What the server received over HTTP/2 (HTTP/1.1 requests never appear here).
  const overH2: string[] = [];
  server.app.server.on('stream', (_stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void overH2.push(`${headers[':method']} ${headers[':path']}`));
  const target = new URL(server.url);
  const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port) });
  t.teardown(() => proxy.close());

  const browser = await launch(t, [cert.chromiumFlag]);
  const { page, violations } = await spanishPage(browser);
  await page.goto(`https://127.0.0.1:${proxy.port}`);
  t.equal(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol), 'h2', 'the page came over HTTP/2');
  await registerThroughTheForm(page, 'albergue-h2', PASSPHRASE);
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill('Video por HTTP/2');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: 'Video por HTTP/2' }).waitFor(LONG);

  const video = await writeRandom(await evidenceFolder(t), 'video-h2.mp4', 40);
  await page.getByLabel('Elegir archivos').setInputFiles(video.path);
  await page.waitForFunction(() => Number(document.querySelector('progress')?.getAttribute('value') ?? 0) > 0, undefined, LONG);
  proxy.cut();
  await page.getByText('Esperando conexión').waitFor(LONG);
  await new Promise((r) => setTimeout(r, 1000));
  proxy.restore();
  const item = page.getByRole('listitem').filter({ hasText: 'video-h2.mp4' }).filter({ has: page.getByRole('button', { name: 'Descargar' }) });
  await item.waitFor(LONG);
  t.equal((await item.locator('code').innerText()).trim(), video.sha256, 'the SHA-256 taken at intake is the video’s');
  const parts = overH2.filter((r) => /^PUT \/v1\/files\/[^/]+\/parts\/\d+$/.test(r));
  t.ok(parts.length >= 5, `its five parts went over HTTP/2 (${parts.length} PUTs, some again after the cut)`);

  const [download] = await Promise.all([page.waitForEvent('download', LONG), item.getByRole('button', { name: 'Descargar' }).click()]);
  t.equal(sha256(await readFile((await download.path())!)), video.sha256, 'downloaded byte for byte');
  t.ok(overH2.some((r) => /^GET \/v1\/files\/[^/]+$/.test(r)), 'the download went over HTTP/2');
  t.same(violations, [], 'no CSP violation');
});
