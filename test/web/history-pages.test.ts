// The record history screen reads the history in pages (docs/PROTOCOL.md "A page of a
// record's history"): the first 100 events are shown verified at once, said to be "so far",
// and the rest come as the person asks (or scrolls); a later page the server changed is the
// tampering warning in place of the list, never the shorter list.
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { build } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { login } from './people.ts';

const HANDLE = 'albergue-sur';
const PASSPHRASE = 'tortuga naranja volcán pizarra colibrí';
const TITLE = 'Retén en la carretera';
const READS = 150;
const LONG = { timeout: 90_000 };

const dist = await buildWeb(t);
const server = await build(t, { WEB_DIST_DIR: dist });
const browser = await launch(t);
{
  const { vault } = await Vault.register({ server: server.url, handle: HANDLE, passphrase: PASSPHRASE });
  const { id } = await vault.createRecord({ title: TITLE, narrative: 'leído muchas veces' });
  for (let i = 0; i < READS; i++) await vault.getRecord(id);
  await vault.logout();
}

t.test('the first page at once, the rest when asked; a changed later page is the tampering warning', async (t) => {
  const { context, page, violations } = await spanishPage(browser);
  t.teardown(() => context.close());
  await page.goto(server.url);
  await login(page, HANDLE, PASSPHRASE);
  await page.getByRole('button', { name: new RegExp(TITLE) }).click();
  await page.getByRole('button', { name: 'Quién lo vio' }).click();

  await page.getByText(/100 eventos hasta ahora, verificados contra el registro firmado/).waitFor(LONG);
  t.equal(await page.locator('.events li').count(), 100, 'the first page: 100 events, shown verified');
  // Asked for: by the click, or by the scroll that brings the button into view, which loads the
  // next page and replaces the button while Playwright is clicking it (seen in CI: it retried a
  // detached button for 30 s). Either way what counts is the whole history, checked below.
  await page.getByRole('button', { name: 'Ver más eventos' }).click({ timeout: 5_000 }).catch(() => undefined);
  await page.getByText(/eventos, verificados contra el registro firmado\.$/).waitFor(LONG);
  const all = await page.locator('.events li').count();
  t.ok(all >= READS + 1, `the whole history: ${all} events (creation, ${READS} reads, and the browser's own)`);
  t.equal(await page.getByRole('button', { name: 'Ver más eventos' }).count(), 0, 'nothing more to load');

  // The server drops one event from the second page (and makes no proof for it).
  await context.route(/\/v1\/records\/[^/]+\/history\?.*after=(?!-1)/, async (route) => {
    const res = await route.fetch();
    const body = (await res.json()) as { events: unknown[] };
    body.events.splice(3, 1);
    await route.fulfill({ response: res, json: body });
  });
  await page.getByRole('button', { name: '← Volver' }).click();
  await page.getByRole('button', { name: 'Quién lo vio' }).click();
  await page.getByText(/100 eventos hasta ahora/).waitFor(LONG);
  // Scrolling may have asked for the next page already, and the button gone with the list.
  await page.getByRole('button', { name: 'Ver más eventos' }).click({ timeout: 5_000 }).catch(() => undefined);
  await page.getByRole('heading', { name: 'Advertencia: posible manipulación' }).waitFor(LONG);
  t.equal(await page.locator('.events').count(), 0, 'no list is shown, not even the verified first page');
  t.same(violations, [], 'no CSP violation');
});
