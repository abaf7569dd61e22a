// A shelter's team in two browsers: the coordinator creates a team, compares a staff member's
// safety number and adds them, and creates a case; the staff member writes a testimony into
// it; the coordinator reads it, removes the staff member, and the team history shows each
// step. Then, as a hostile server, one signed statement edited in the database: the team page
// shows the tampering warning and no members, cases or history.
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import type { Page } from 'playwright-core';
import { build } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { login } from './people.ts';

const LONG = { timeout: 90_000 };
const COORD = { handle: 'coord-albergue', passphrase: 'golondrina ventana cobijo maíz tormenta' };
const STAFF = { handle: 'staff-lucia', passphrase: 'cuaderno sendero lámpara higo marea' };
const LAWYER = { handle: 'lic-herrera', passphrase: 'biombo cereza andén tinaja relámpago' };
const TAMPER = 'Advertencia: posible manipulación';

async function clickTeam(page: Page) {
  await page.getByRole('button', { name: 'Equipos', exact: true }).click();
  await page.getByRole('heading', { name: 'Equipos' }).waitFor(LONG);
  await page.getByRole('button', { name: /^Equipo [0-9a-f]{8}$/ }).click();
}

async function openTeam(page: Page) {
  await clickTeam(page);
  await page.getByRole('heading', { name: 'Integrantes' }).waitFor(LONG);
}

t.test('a coordinator runs a team in the browser; an edited chain statement shows the tampering warning', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  for (const p of [COORD, STAFF, LAWYER]) await (await Vault.register({ server: server.url, ...p })).vault.logout();

  const browser = await launch(t);
  const coord = await spanishPage(browser);
  const staff = await spanishPage(browser);
  const lawyer = await spanishPage(browser);
  const [c, s, l] = [coord.page, staff.page, lawyer.page];
  // On a failure, what each person had on screen, for whoever reads the test output.
  t.teardown(async () => {
    if (t.passing()) return;
    for (const [name, page] of [['coordinator', c], ['staff', s], ['lawyer', l]] as const) {
      const file = path.join(os.tmpdir(), `teams-test-${name}.png`);
      await page.screenshot({ path: file, fullPage: true }).then(() => t.comment(`screen of the ${name}: ${file}`), () => {});
    }
  });
  for (const [page, p] of [[c, COORD], [s, STAFF], [l, LAWYER]] as const) {
    await page.goto(server.url);
    await login(page, p.handle, p.passphrase);
  }

  // A team of one.
  await c.getByRole('button', { name: 'Equipos', exact: true }).click();
  await c.getByText('Todavía no forma parte de ningún equipo.').waitFor(LONG);
  await c.getByRole('button', { name: 'Crear un equipo' }).click();
  await c.getByRole('heading', { name: 'Integrantes' }).waitFor(LONG);
  t.match(await c.getByRole('heading', { level: 1 }).innerText(), /^Equipo [0-9a-f]{8}$/, 'the team page opens');

  // An unverified person is not added without a yes that names the risk.
  await c.getByLabel('Nombre de usuario de la persona').fill(STAFF.handle);
  await c.getByRole('button', { name: 'Comprobar' }).click();
  await c.getByText(`${STAFF.handle} no está verificado`).waitFor(LONG);
  t.match(await c.getByRole('alert').innerText(), /podría haber puesto sus propias llaves/, 'the risk is said');
  t.ok(await c.getByRole('button', { name: `Añadir a ${STAFF.handle} al equipo` }).isDisabled(), 'adding waits for the comparison or an explicit yes');

  // The staff member reads out their number; the coordinator compares it in Contacts.
  await s.getByRole('button', { name: `Cuenta (${STAFF.handle})` }).click();
  const spoken = (await s.locator('.safety-number').first().innerText()).trim();
  await c.getByRole('button', { name: `Comparar el número de ${STAFF.handle} en Contactos (recomendado)` }).click();
  await c.getByLabel('Número que le leyeron').fill(spoken);
  await c.getByRole('button', { name: 'Comprobar y marcar como verificado' }).click();
  await c.getByText(`${STAFF.handle} está verificado: su número coincide`).waitFor(LONG);

  await openTeam(c);
  await c.getByLabel('Nombre de usuario de la persona').fill(STAFF.handle);
  await c.getByRole('button', { name: 'Comprobar' }).click();
  await c.getByText(`${STAFF.handle} está verificado.`).waitFor(LONG);
  await c.getByRole('button', { name: `Añadir a ${STAFF.handle} al equipo` }).click();
  await c.getByText(`${STAFF.handle} ya forma parte del equipo.`).waitFor(LONG);
  const staffRow = c.getByRole('listitem').filter({ has: c.getByText(STAFF.handle, { exact: true }) });
  await staffRow.filter({ hasText: 'integrante' }).filter({ hasText: 'verificado' }).waitFor(LONG);

  await c.getByRole('button', { name: 'Crear un caso' }).click();
  await c.getByRole('heading', { name: 'Testimonios del caso' }).waitFor(LONG);
  const caseTitle = (await c.getByRole('heading', { level: 1 }).innerText()).trim();
  t.match(caseTitle, /^Caso [0-9a-f]{8}$/, 'the new case opens');
  await c.getByText('Este caso no tiene testimonios todavía.').waitFor(LONG);

  // The staff member finds the team and writes into the case.
  await openTeam(s);
  t.equal(await s.getByRole('button', { name: 'Crear un caso' }).count(), 0, 'a member is not offered what only coordinators do');
  await s.getByRole('button', { name: caseTitle }).click();
  await s.getByRole('heading', { name: 'Escribir un testimonio en este caso' }).waitFor(LONG);
  await s.getByLabel('Título', { exact: true }).fill('Robo en la vía');
  await s.getByLabel('Relato', { exact: true }).fill('Les quitaron los documentos cerca de Orizaba.');
  // Who added them is not verified: writing waits for a yes that names the risk.
  await s.getByText(`${COORD.handle} no está verificado`).waitFor(LONG);
  t.ok(await s.getByRole('button', { name: 'Guardar en el caso' }).isDisabled(), 'no writing without comparing, or a yes');
  await s.getByLabel(`Entiendo el riesgo y quiero escribir sin verificar a ${COORD.handle}`).check();
  await s.getByRole('button', { name: 'Guardar en el caso' }).click();
  await s.getByRole('button', { name: 'Robo en la vía' }).waitFor(LONG);

  // The coordinator reads it on the case page.
  await openTeam(c);
  await c.getByRole('button', { name: caseTitle }).click();
  await c.getByRole('button', { name: 'Robo en la vía' }).click();
  await c.getByRole('heading', { name: 'Robo en la vía' }).waitFor(LONG);
  await c.getByText('Les quitaron los documentos cerca de Orizaba.').waitFor(LONG);
  t.match(await c.getByText(/escrito por/).innerText(), new RegExp(`escrito por ${STAFF.handle}`), 'the verified author is shown');

  // The case shared with a lawyer (not verified: the risk accepted), with an end date.
  await c.getByRole('button', { name: 'Volver al caso' }).click();
  await c.getByLabel('¿Con quién? (nombre de usuario)').fill(LAWYER.handle);
  await c.getByRole('button', { name: 'Comprobar' }).click();
  await c.getByLabel(`Entiendo el riesgo y quiero seguir sin verificar a ${LAWYER.handle}`).check();
  await c.getByLabel('Acceso hasta (opcional)').fill('2030-12-31');
  await c.getByRole('button', { name: `Compartir el caso con ${LAWYER.handle}` }).click();
  await c.getByText(`Caso compartido con ${LAWYER.handle}.`).waitFor(LONG);
  await c.getByRole('button', { name: `Revocar a ${LAWYER.handle}` }).waitFor(LONG);

  // The lawyer reads the case, and is offered nothing to write.
  await l.getByRole('button', { name: 'Equipos', exact: true }).click();
  await l.getByText('revisión de casos').waitFor(LONG);
  await openTeam(l);
  await l.getByRole('button', { name: caseTitle }).waitFor(LONG);
  t.equal(await l.getByRole('button', { name: 'Espacio general del equipo' }).count(), 0, 'a reviewer is shown only the case shared with them');
  await l.getByRole('button', { name: caseTitle }).click();
  await l.getByRole('heading', { name: 'Testimonios del caso' }).waitFor(LONG);
  t.equal(await l.getByRole('heading', { name: 'Escribir un testimonio en este caso' }).count(), 0, 'a reviewer is not offered to write');
  await l.getByRole('button', { name: 'Robo en la vía' }).click();
  await l.getByText('Les quitaron los documentos cerca de Orizaba.').waitFor(LONG);

  // Revoked: the coordinator's page says no one reviews it; the lawyer, back on the case, is refused.
  await c.getByRole('button', { name: `Revocar a ${LAWYER.handle}` }).click();
  await c.getByText('Nadie de fuera del equipo lo revisa.').waitFor(LONG);
  await l.getByRole('button', { name: 'Volver al caso' }).click();
  await l.getByRole('alert').first().waitFor(LONG);
  t.equal(await l.getByText('Robo en la vía').count(), 0, 'after the revocation the case lists nothing to the lawyer');
  await l.getByRole('button', { name: 'Equipos', exact: true }).click();
  await l.getByText('Todavía no forma parte de ningún equipo.').waitFor(LONG);
  t.pass('and the team is gone from the lawyer\'s list');

  // A hostile server changes one byte of the staff member's stored testimony: the case shows
  // the tampering warning, not the coordinator's testimony alone as if it were the whole case.
  await c.getByLabel('Título', { exact: true }).fill('Amenazas en el albergue');
  await c.getByLabel('Relato', { exact: true }).fill('Un hombre armado preguntó por ellos en la puerta.');
  await c.getByRole('button', { name: 'Guardar en el caso' }).click();
  await c.getByRole('button', { name: 'Amenazas en el albergue' }).waitFor(LONG);
  const first = await server.db.selectFrom('team_record_versions').select(['record_id', 'body']).orderBy('created_at').executeTakeFirstOrThrow();
  const body = Buffer.from(first.body);
  body[body.length - 20]! ^= 0x01;
  await server.db.updateTable('team_record_versions').set({ body }).where('record_id', '=', first.record_id).execute();
  await openTeam(c);
  await c.getByRole('button', { name: caseTitle }).click();
  await c.getByRole('heading', { name: TAMPER }).waitFor(LONG);
  t.equal(await c.getByText('Robo en la vía').count(), 0, 'the changed testimony is not listed');
  t.equal(await c.getByText('Amenazas en el albergue').count(), 0, 'nor the rest of the case, as if it were whole');
  await server.db.updateTable('team_record_versions').set({ body: first.body }).where('record_id', '=', first.record_id).execute();

  // Removing says that keys rotate, then the history shows every step.
  await openTeam(c);
  await c.getByRole('button', { name: `Quitar a ${STAFF.handle}` }).click();
  t.match(await c.getByRole('alertdialog').innerText(), /Se cambian las llaves del equipo y de todos sus casos/, 'the confirmation says the keys rotate');
  await c.getByRole('button', { name: `Sí, quitar a ${STAFF.handle} y cambiar las llaves` }).click();
  const history = c.getByRole('list', { name: 'Historial del equipo' });
  await history.getByText(`${COORD.handle} quitó a ${STAFF.handle} (llaves nuevas)`).waitFor(LONG);
  const steps = (await history.getByRole('listitem').allInnerTexts()).map((x) => x.trim());
  t.match(steps, [
    `${COORD.handle} creó el equipo como coordinación`,
    `${COORD.handle} creó Espacio general del equipo`,
    `${COORD.handle} añadió a ${STAFF.handle} como integrante`,
    /^coord-albergue creó Caso [0-9a-f]{8} \d/,
    /^coord-albergue compartió Caso [0-9a-f]{8} con lic-herrera \(hasta: .*2030.*\)/,
    /^coord-albergue revocó el acceso de lic-herrera a Caso [0-9a-f]{8} \(llave nueva del caso\)/,
    /^coord-albergue quitó a staff-lucia \(llaves nuevas\)/,
  ], 'who added whom, with which role, the share and its end, and the removal, in order');
  t.equal(steps.length, 7, 'and nothing else');
  t.equal(await staffRow.count(), 0, 'the removed member is no longer listed');
  await s.getByRole('button', { name: 'Equipos', exact: true }).click();
  await s.getByText('Todavía no forma parte de ningún equipo.').waitFor(LONG);
  t.pass('the removed member no longer finds the team');

  // A hostile server edits the signed statement that added the staff member.
  const team = (await server.db.selectFrom('team_statements').select('team_id').executeTakeFirstOrThrow()).team_id;
  const added = await server.db.selectFrom('team_statements').select(['body']).where('team_id', '=', team).where('seq', '=', 2).executeTakeFirstOrThrow();
  const edited = added.body.replace('"role":"member"', '"role":"coordinator"');
  t.not(edited, added.body, 'the statement was changed');
  await server.db.updateTable('team_statements').set({ body: edited }).where('team_id', '=', team).where('seq', '=', 2).execute();
  await clickTeam(c);
  await c.getByRole('heading', { name: TAMPER }).waitFor(LONG);
  t.equal(await c.getByRole('heading', { name: 'Integrantes' }).count(), 0, 'no member list');
  t.equal(await c.getByRole('heading', { name: 'Historial del equipo' }).count(), 0, 'no history');
  t.equal(await c.getByRole('heading', { name: 'Casos' }).count(), 0, 'no cases');
  t.match(await c.getByRole('alert').first().innerText(), /VAULT_ERR_(SIGNATURE|INTEGRITY)/, 'the code names a failed verification');

  t.same(coord.violations, [], 'no CSP violation for the coordinator');
  t.same(staff.violations, [], 'no CSP violation for the staff member');
  t.same(lawyer.violations, [], 'no CSP violation for the lawyer');
});
