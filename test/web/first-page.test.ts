// The login page carries only what it needs (issue 15: under 150 KiB of JavaScript before
// the crypto worker loads, as the server sends it to a browser), the screens behind the login
// are fetched only after it, each checked against the integrity the page holds for it: a
// chunk that does not arrive, or arrives changed, is said so in words, never a blank page.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { Page, Request } from 'playwright-core';
import { Vault } from '@testimony-vault/client';
import { build } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { login } from './people.ts';

const HANDLE = 'albergue-norte';
const PASSPHRASE = 'cántaro violeta huracán mostaza pelícano';
const LONG = { timeout: 90_000 };
const KIB = 1024;

const dist = await buildWeb(t);
const server = await build(t, { WEB_DIST_DIR: dist });
const browser = await launch(t);
await (await Vault.register({ server: server.url, handle: HANDLE, passphrase: PASSPHRASE })).vault.logout();

/** URL of each lazily loaded screen folder's own chunk, from the page the build wrote. */
const html = await readFile(path.join(dist, 'index.html'), 'utf8');
const lazy = JSON.parse(/<script type="application\/json" id="lazy-integrity">([^<]*)<\/script>/.exec(html)![1]!) as Record<string, { url: string }[]>;
const chunkOf = (folder: string) => lazy[`/src/screens/${folder}/index.ts`]![0]!.url;
const FOLDERS = ['records', 'account', 'contacts', 'sharing', 'history', 'verify'];
const isLazy = (url: string) => Object.values(lazy).some((files) => files.some((f) => new URL(url).pathname === f.url));

/** Every request the page (and its worker) makes, in order. */
function recordRequests(page: Page): Request[] {
  const seen: Request[] = [];
  page.on('request', (r) => seen.push(r));
  return seen;
}

const paths = (requests: Request[]) => requests.map((r) => new URL(r.url()).pathname);

t.test('the login page: under 150 KiB of JavaScript as sent, no screen behind the login, no worker', async (t) => {
  const { context, page, violations } = await spanishPage(browser);
  t.teardown(() => context.close());
  const requests = recordRequests(page);
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Entrar' }).waitFor();
  await page.getByLabel('Nombre de usuario', { exact: true }).fill(HANDLE);
  await page.waitForLoadState('networkidle');

  const scripts = requests.filter((r) => r.resourceType() === 'script' || new URL(r.url()).pathname.endsWith('.js'));
  t.ok(scripts.length > 0);
  let sent = 0;
  let decoded = 0;
  for (const r of scripts) {
    const res = (await r.response())!;
    t.equal(res.status(), 200, r.url());
    t.equal((await res.allHeaders())['content-encoding'], 'br', `${new URL(r.url()).pathname} comes compressed`);
    sent += (await r.sizes()).responseBodySize;
    decoded += (await res.body()).length;
  }
  t.comment(`first page: ${scripts.length} scripts, ${(decoded / KIB).toFixed(1)} KiB decoded, ${(sent / KIB).toFixed(1)} KiB as sent`);
  t.ok(sent < 150 * KIB, `JavaScript as sent: ${(sent / KIB).toFixed(1)} KiB < 150 KiB`);
  t.ok(decoded < 150 * KIB, `and decoded: ${(decoded / KIB).toFixed(1)} KiB < 150 KiB`);
  t.ok(sent < decoded / 2, 'compression pays');
  t.same(paths(requests).filter((p) => isLazy(`${server.url}${p}`)), [], 'no screen behind the login is fetched');
  t.equal(page.workers().length, 0, 'the crypto worker has not started');

  // The login: the list's code comes with it, the other screens' do not.
  await page.getByLabel('Frase de contraseña', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByRole('heading', { name: 'Testimonios' }).waitFor(LONG);
  t.ok(paths(requests).includes(chunkOf('records')), 'the list is fetched after the login');
  for (const folder of FOLDERS.filter((f) => f !== 'records')) t.notOk(paths(requests).includes(chunkOf(folder)), `${folder}: not yet`);

  // Another screen: fetched when first shown, once.
  await page.getByRole('button', { name: 'Contactos' }).click();
  await page.getByRole('heading', { name: 'Contactos' }).waitFor(LONG);
  await page.getByRole('button', { name: 'Testimonios' }).first().click();
  await page.getByRole('button', { name: 'Contactos' }).click();
  await page.getByRole('heading', { name: 'Contactos' }).waitFor(LONG);
  t.equal(paths(requests).filter((p) => p === chunkOf('contacts')).length, 1, 'contacts fetched once');
  t.same(violations, [], 'no CSP violation (the integrity data block is not script)');
});

t.test('the drop page that checks an export opens without an account', async (t) => {
  const { context, page, violations } = await spanishPage(browser);
  t.teardown(() => context.close());
  const requests = recordRequests(page);
  await page.goto(server.url);
  await page.getByRole('button', { name: /Verificar una exportación/ }).click();
  await page.getByRole('heading', { name: 'Verificar una exportación' }).waitFor(LONG);
  t.ok(paths(requests).includes(chunkOf('verify')), 'its code fetched when asked for');
  t.notOk(paths(requests).includes(chunkOf('records')), 'and nothing behind the login');
  t.same(violations, []);
});

async function loggedIn(t: { teardown(fn: () => unknown): void }): Promise<Page> {
  const { context, page } = await spanishPage(browser);
  t.teardown(() => context.close());
  await page.goto(server.url);
  await login(page, HANDLE, PASSPHRASE);
  return page;
}

t.test('a screen whose code does not arrive says so, and can be tried again', async (t) => {
  const page = await loggedIn(t);
  const account = `${server.url}${chunkOf('account')}`;
  await page.route(account, (route) => route.abort('connectionfailed'));
  await page.getByRole('button', { name: `Cuenta (${HANDLE})` }).click();
  const alert = page.getByRole('alert');
  await alert.getByText('No se pudo cargar esta pantalla desde el servidor.', { exact: false }).waitFor(LONG);
  t.match(await alert.innerText(), /VAULT_ERR_SCREEN_LOAD/, 'with its code, for whoever helps');
  t.ok(await page.getByRole('button', { name: 'Intentar de nuevo' }).isVisible(), 'and a way to try again');

  await page.unroute(account);
  await page.getByRole('button', { name: 'Intentar de nuevo' }).click();
  await page.getByRole('heading', { name: 'Cuenta' }).waitFor(LONG);
  t.pass('once the network is back, the screen opens');
});

t.test('a screen whose code arrives changed is refused by the browser and named as such', async (t) => {
  const page = await loggedIn(t);
  const contacts = `${server.url}${chunkOf('contacts')}`;
  // What a hostile server (or anything on the way) would send: the same file with more code.
  await page.route(contacts, async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, body: `${await res.text()}\ndocument.title = "alterado";` });
  });
  await page.getByRole('button', { name: 'Contactos' }).click();
  const alert = page.getByRole('alert');
  await alert.getByText('El servidor envió para esta pantalla un código distinto', { exact: false }).waitFor(LONG);
  t.match(await alert.innerText(), /VAULT_ERR_SCREEN_INTEGRITY/);
  t.not(await page.title(), 'alterado', 'the changed code never ran');
  t.equal(await page.getByRole('heading', { name: 'Contactos' }).count(), 0, 'the screen is not drawn');
});

t.test('a browser that asks for English gets the page in English: its catalogue loaded with integrity, not carried by every first page', async (t) => {
  const context = await browser.newContext({ locale: 'en-US' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const requests = recordRequests(page);
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Open the vault' }).waitFor();
  t.equal(await page.locator('html').getAttribute('lang'), 'en');
  const english = paths(requests).filter((p) => /\/assets\/english-[^/]+\.js$/.test(p));
  t.equal(english.length, 1, 'the English catalogue was fetched, once');
  t.equal(await page.evaluate((p) => document.querySelector<HTMLLinkElement>(`link[rel=modulepreload][href$="${p}"]`)?.integrity.startsWith('sha384-'), english[0]!), true, 'through a preload that carries its integrity');
});
