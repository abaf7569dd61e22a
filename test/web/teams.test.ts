// A shelter's team in two browsers: the coordinator creates a team, compares a staff member's
// safety number and adds them, and creates a case; the staff member writes a testimony into
// it; the coordinator reads it, removes the staff member, and the team history shows each
// step. Then, as a hostile server, one signed statement edited in the database: the team page
// shows the tampering warning and no members, cases or history.
import t from 'tap';
import type { Page } from 'playwright-core';
import { shelterInBrowsers } from './teams-shelter.ts';

const LONG = { timeout: 90_000 };
const COORD = { handle: 'coord-albergue', passphrase: 'golondrina ventana cobijo maíz tormenta' };
const STAFF = { handle: 'staff-lucia', passphrase: 'cuaderno sendero lámpara higo marea' };
const LAWYER = { handle: 'lic-herrera', passphrase: 'biombo cereza andén tinaja relámpago' };
const TAMPER = 'Advertencia: posible manipulación';
const TEAM = 'Albergue Las Golondrinas';
const CASE = 'Familia Ramírez';

async function clickTeam(page: Page) {
  await page.getByRole('button', { name: 'Equipos', exact: true }).click();
  await page.getByRole('heading', { name: 'Equipos' }).waitFor(LONG);
  await page.getByRole('button', { name: TEAM }).click();
}

async function openTeam(page: Page) {
  await clickTeam(page);
  await page.getByRole('heading', { name: 'Integrantes' }).waitFor(LONG);
}

t.test('a coordinator runs a team in the browser; an edited chain statement shows the tampering warning', async (t) => {
  const { server, pages, violations } = await shelterInBrowsers(t, { coordinator: COORD, staff: STAFF, lawyer: LAWYER }, 'teams-test');
  const [c, s, l] = [pages.coordinator, pages.staff, pages.lawyer];

  // A team of one.
  await c.getByRole('button', { name: 'Equipos', exact: true }).click();
  await c.getByText('Todavía no forma parte de ningún equipo.').waitFor(LONG);
  await c.getByLabel('Nombre del equipo (por ejemplo, el del albergue)').fill(TEAM);
  await c.getByRole('button', { name: 'Crear un equipo' }).click();
  await c.getByRole('heading', { name: 'Integrantes' }).waitFor(LONG);
  t.equal(await c.getByRole('heading', { level: 1 }).innerText(), TEAM, 'the team page opens, under its name');

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
  await c.getByLabel('Nombre del caso').fill(CASE);
  await c.getByRole('button', { name: 'Crear un caso' }).click();
  await c.getByRole('heading', { name: 'Testimonios del caso' }).waitFor(LONG);
  const caseTitle = (await c.getByRole('heading', { level: 1 }).innerText()).trim();
  t.equal(caseTitle, CASE, 'the new case opens, under its name');
  await c.getByText('Este caso no tiene testimonios todavía.').waitFor(LONG);

  // The staff member finds the team and writes into the case.
  await openTeam(s);
  t.equal(await s.getByRole('button', { name: 'Crear un caso' }).count(), 0, 'a member is not offered what only coordinators do');
  await s.getByRole('button', { name: caseTitle }).click();
  await s.getByRole('heading', { name: 'Escribir un testimonio en este caso' }).waitFor(LONG);
  // With a right-to-left override at its end, as a hostile writer could add: shown defused.
  await s.getByLabel('Título', { exact: true }).fill('Robo en la vía\u202E');
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
  t.equal(await c.getByRole('button', { name: 'Robo en la vía' }).innerText(), 'Robo en la vía\ufffd', "the title's override is shown as \ufffd, not obeyed");
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
  await l.getByRole('alert').filter({ hasNotText: 'compartió este caso con usted' }).first().waitFor(LONG);
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
  const first = await server.db
    .selectFrom('team_record_versions')
    .innerJoin('accounts', 'accounts.id', 'team_record_versions.author_id')
    .select(['record_id', 'body'])
    .where('accounts.handle', '=', STAFF.handle)
    .executeTakeFirstOrThrow();
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
    /^coord-albergue creó Familia Ramírez \d/,
    /^coord-albergue compartió Familia Ramírez con lic-herrera \(hasta: .*2030.*\)/,
    /^coord-albergue revocó el acceso de lic-herrera a Familia Ramírez \(llave nueva del caso\)/,
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
  // The name is read only from a verified chain: the list shows the team by its id.
  await c.getByRole('button', { name: 'Equipos', exact: true }).click();
  await c.getByRole('button', { name: `Equipo ${team.slice(0, 8)}` }).click();
  await c.getByRole('heading', { name: TAMPER }).waitFor(LONG);
  t.equal(await c.getByRole('heading', { name: 'Integrantes' }).count(), 0, 'no member list');
  t.equal(await c.getByRole('heading', { name: 'Historial del equipo' }).count(), 0, 'no history');
  t.equal(await c.getByRole('heading', { name: 'Casos' }).count(), 0, 'no cases');
  t.match(await c.getByRole('alert').first().innerText(), /VAULT_ERR_(SIGNATURE|INTEGRITY)/, 'the code names a failed verification');

  t.same(violations, { coordinator: [], staff: [], lawyer: [] }, 'no CSP violation for anyone');
});
