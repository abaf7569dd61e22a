// A case's audit history in the browser (docs/PROTOCOL.md "A case's audit history"): the
// coordinator opens the case, asks who accessed it and reads, verified against the signed
// log, that the staff member wrote the testimony, the lawyer read it and was let in. Then, as
// a hostile server, the answer loses one event: the page shows the tampering warning and no
// list.
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { build } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { login } from './people.ts';

const LONG = { timeout: 90_000 };
const COORD = { handle: 'coord-historial', passphrase: 'golondrina ventana cobijo maíz tormenta' };
const STAFF = { handle: 'staff-historial', passphrase: 'cuaderno sendero lámpara higo marea' };
const LAWYER = { handle: 'lic-historial', passphrase: 'biombo cereza andén tinaja relámpago' };

const dist = await buildWeb(t);
const server = await build(t, { WEB_DIST_DIR: dist });
const browser = await launch(t);
const [coord, staff, lawyer] = await Promise.all([COORD, STAFF, LAWYER].map(async (p) => (await Vault.register({ server: server.url, ...p })).vault));
const team = await coord!.teams.create();
await coord!.teams.addMember(team, STAFF.handle);
const caseId = await coord!.teams.createCase(team);
await coord!.teams.shareCase(team, caseId, LAWYER.handle);
const { id: record } = await staff!.teams.writeRecord(team, caseId, { title: 'Cruce del río', narrative: 'Cruzaron de noche.' }, { requireVerified: false });
await lawyer!.teams.readRecord(team, record);
for (const v of [coord, staff, lawyer]) await v!.logout();

t.test("the coordinator reads who accessed the case; an answer missing an event is the tampering warning", async (t) => {
  const { context, page, violations } = await spanishPage(browser);
  t.teardown(() => context.close());
  await page.goto(server.url);
  await login(page, COORD.handle, COORD.passphrase);
  await page.getByRole('button', { name: 'Equipos', exact: true }).click();
  await page.getByRole('button', { name: `Equipo ${team.slice(0, 8)}` }).click();
  await page.getByRole('button', { name: `Caso ${caseId.slice(0, 8)}` }).click();
  await page.getByRole('heading', { name: 'Quién accedió a este caso' }).waitFor(LONG);
  await page.getByRole('button', { name: 'Mostrar quién accedió a este caso' }).click();
  await page.getByText(/eventos, verificados con el registro firmado/).waitFor(LONG);

  const items = await page.locator('section[aria-labelledby="case-history-title"] .events li').allInnerTexts();
  const has = (re: RegExp) => items.some((text) => re.test(text.replace(/\s+/g, ' ')));
  t.ok(has(new RegExp(`Cruce del río ${STAFF.handle} creó el testimonio`)), 'the staff member wrote the testimony');
  t.ok(has(new RegExp(`Cruce del río ${LAWYER.handle} leyó el testimonio`)), 'the lawyer read it');
  t.ok(has(new RegExp(`El caso ${COORD.handle} dio a ${LAWYER.handle} acceso para revisar el caso`)), 'the lawyer was let in');
  t.ok(has(new RegExp(`El equipo ${COORD.handle} añadió a ${STAFF.handle} al equipo`)), 'the staff member was added');

  // The server leaves one event of the testimony out of its answer.
  await context.route(/\/v1\/teams\/[^/]+\/cases\/[^/]+\/history\?/, async (route) => {
    const res = await route.fetch();
    const body = (await res.json()) as { events: { leaf: string }[] };
    const ofRecord = body.events.filter((e) => Buffer.from(e.leaf, 'base64url').includes(Buffer.from(record.replace(/-/g, ''), 'hex')));
    body.events = body.events.filter((e) => e !== ofRecord[1]);
    await route.fulfill({ response: res, json: body });
  });
  await page.getByRole('button', { name: 'Comprobar de nuevo' }).click();
  await page.getByRole('heading', { name: 'Advertencia: posible manipulación' }).waitFor(LONG);
  t.equal(await page.locator('section[aria-labelledby="case-history-title"] .events').count(), 0, 'no list is shown');
  t.same(violations, [], 'no CSP violation');
});
