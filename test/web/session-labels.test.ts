// The sessions list in the browser reads each device's name from its encrypted label, and
// shows a label the server altered as unreadable, never as a name ([Note: session labels]).
import t from 'tap';
import { sql } from 'kysely';
import { build } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { login, registerThroughTheForm } from './people.ts';

const HANDLE = 'etiquetas';
const PASS = 'gaviota ladrillo menta trompeta cedro';
const LONG = { timeout: 90_000 };
const ANDROID = 'Mozilla/5.0 (Linux; Android 13; SM-A145M) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

t.test("the browser's sessions are named, and an altered name is said to be so", async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const laptop = await spanishPage(browser);
  // A phone's browser, as its user agent says (Playwright gives workers the same one).
  const phoneContext = await browser.newContext({ locale: 'es-MX', userAgent: ANDROID });
  const phone = { page: await phoneContext.newPage() };
  await laptop.page.goto(server.url);
  await registerThroughTheForm(laptop.page, HANDLE, PASS);
  await phone.page.goto(server.url);
  await login(phone.page, HANDLE, PASS);

  const labels = await sql<{ label: Buffer | null }>`select label from sessions`.execute(server.db);
  t.same(labels.rows.map((r) => r.label?.includes(Buffer.from('Chrome')) || r.label?.includes(Buffer.from('Android'))), [false, false], 'the database holds two labels, neither readable');

  const p = laptop.page;
  await p.getByRole('button', { name: `Cuenta (${HANDLE})` }).click();
  const list = p.getByRole('region', { name: 'Sesiones abiertas' });
  await list.getByRole('button', { name: 'Cerrar esa sesión' }).waitFor(LONG);
  t.equal(await list.getByText('Chrome · Linux', { exact: true }).count(), 1, 'the laptop\'s session is named by its browser and system, decrypted on this device');
  t.equal(await list.getByText('Chrome · Android', { exact: true }).count(), 1, 'and the phone\'s by its own');

  // The server alters the phone's label: one byte.
  await sql`update sessions set label = set_byte(label, 60, get_byte(label, 60) # 1)
    where id = (select id from sessions order by created_at desc limit 1)`.execute(server.db);
  await p.getByRole('button', { name: 'Testimonios', exact: true }).click();
  await p.getByRole('button', { name: `Cuenta (${HANDLE})` }).click();
  await list.getByText('Nombre ilegible: alterado en el servidor').waitFor(LONG);
  t.equal(await list.getByText('Chrome · Android', { exact: true }).count(), 0, 'the altered one is not shown by its name');
  t.equal(await list.getByText('Chrome · Linux', { exact: true }).count(), 1, 'the other still is');
  await p.screenshot({ path: '.tap/session-labels.png' }).catch(() => undefined);
});
