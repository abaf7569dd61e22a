// What a shelter's coordinator, a staff member and a lawyer do with a team beyond the basics
// (issue 20), in three browsers against the real server: the team and its case are named when
// they are made and renamed later, and every screen shows the names (no name record among the
// testimonies); the only coordinator is told they cannot step down, a member is made
// coordinator after a confirmation; the staff member corrects the coordinator's testimony
// and both versions are listed with their authors, and when the server changes the first
// version's bytes it alone is named as failing; the lawyer reading the shared case is told
// who shared it and that they never compared that person's number, until they do.
import t from 'tap';
import type { Page } from 'playwright-core';
import { sidewaysOverflow } from './browser.ts';
import { shelterInBrowsers } from './teams-shelter.ts';

const LONG = { timeout: 90_000 };
const COORD = { handle: 'coord-colibri', passphrase: 'tamarindo escalera nube pizarra cántaro' };
const STAFF = { handle: 'staff-ramon', passphrase: 'ventisca lenteja brocha almohada faro' };
const LAWYER = { handle: 'lic-quintero', passphrase: 'acordeón perejil volcán tapete gaviota' };

async function openTeam(page: Page, name: string) {
  await page.getByRole('button', { name: 'Equipos', exact: true }).click();
  await page.getByRole('button', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor(LONG);
}

t.test('names, roles, corrections and who shared a case, as the people of a shelter see them', async (t) => {
  const { server, pages, violations } = await shelterInBrowsers(t, { coordinator: COORD, staff: STAFF, lawyer: LAWYER }, 'teams-coordination');
  const [c, s, l] = [pages.coordinator, pages.staff, pages.lawyer];
  await s.setViewportSize({ width: 360, height: 740 });

  // A team named at its creation.
  await c.getByRole('button', { name: 'Equipos', exact: true }).click();
  await c.getByLabel('Nombre del equipo (por ejemplo, el del albergue)').fill('Casa Colibrí');
  await c.getByRole('button', { name: 'Crear un equipo' }).click();
  await c.getByRole('heading', { level: 1, name: 'Casa Colibrí' }).waitFor(LONG);
  t.pass('the team page is headed by its name');

  // The only coordinator cannot step down: they are told why, and offered nothing to confirm.
  await c.getByRole('button', { name: `Cambiar el papel de ${COORD.handle}` }).click();
  const last = c.getByRole('alertdialog');
  t.match(await last.innerText(), /es la única persona de coordinación del equipo, y un equipo siempre tiene una/, 'the last coordinator is told');
  t.equal(await last.getByRole('button', { name: /^Sí, pasar a/ }).count(), 0, 'and there is nothing to confirm');
  await last.getByRole('button', { name: 'Cerrar' }).click();

  await c.getByLabel('Nombre de usuario de la persona').fill(STAFF.handle);
  await c.getByRole('button', { name: 'Comprobar' }).click();
  await c.getByLabel(`Entiendo el riesgo y quiero seguir sin verificar a ${STAFF.handle}`).check();
  await c.getByRole('button', { name: `Añadir a ${STAFF.handle} al equipo` }).click();
  await c.getByText(`${STAFF.handle} ya forma parte del equipo.`).waitFor(LONG);

  // Renamed: the field starts with the name it has.
  await c.getByRole('button', { name: 'Cambiar el nombre del equipo' }).click();
  const teamName = c.getByLabel('Nombre del equipo (por ejemplo, el del albergue)');
  t.equal(await teamName.inputValue(), 'Casa Colibrí', 'the rename starts from the current name');
  await teamName.fill('Albergue Colibrí');
  await c.getByRole('button', { name: 'Guardar el nombre' }).click();
  await c.getByRole('heading', { level: 1, name: 'Albergue Colibrí' }).waitFor(LONG);

  // A case named at its creation, renamed, and its name record is no testimony.
  await c.getByRole('button', { name: 'Crear un caso' }).click();
  await c.getByLabel('Nombre del caso').fill('Familia Soto');
  await c.getByRole('button', { name: 'Crear un caso' }).click();
  await c.getByRole('heading', { level: 1, name: 'Familia Soto' }).waitFor(LONG);
  await c.getByText('Albergue Colibrí', { exact: true }).waitFor(LONG);
  t.pass('the case page names its team');
  await c.getByText('Este caso no tiene testimonios todavía.').waitFor(LONG);
  await c.getByRole('button', { name: 'Cambiar el nombre del caso' }).click();
  await c.getByLabel('Nombre del caso').fill('Familia Soto Pérez');
  await c.getByRole('button', { name: 'Guardar el nombre' }).click();
  await c.getByRole('heading', { level: 1, name: 'Familia Soto Pérez' }).waitFor(LONG);
  await c.getByText('Este caso no tiene testimonios todavía.').waitFor(LONG);
  t.pass('renamed, and neither name record is listed among the testimonies');

  await c.getByLabel('Título', { exact: true }).fill('Llegada');
  await c.getByLabel('Relato', { exact: true }).fill('Llegaron de noche.');
  await c.getByRole('button', { name: 'Guardar en el caso' }).click();
  await c.getByRole('button', { name: 'Llegada' }).waitFor(LONG);

  // A member made coordinator, after a confirmation that says what it means; by keyboard.
  await c.getByRole('button', { name: 'Volver al equipo' }).click();
  await c.getByRole('button', { name: 'Familia Soto Pérez' }).waitFor(LONG);
  await c.getByRole('button', { name: `Cambiar el papel de ${STAFF.handle}` }).click();
  t.match(await c.getByRole('alertdialog').innerText(), new RegExp(`${STAFF.handle} podrá añadir y quitar personas`), 'the confirmation says what the role allows');
  await c.getByRole('button', { name: `Sí, pasar a ${STAFF.handle} a coordinación` }).focus();
  await c.keyboard.press('Enter');
  const history = c.getByRole('list', { name: 'Historial del equipo' });
  await history.getByText(`${COORD.handle} cambió el papel de ${STAFF.handle} a coordinación`).waitFor(LONG);
  await c.getByRole('listitem').filter({ has: c.getByText(STAFF.handle, { exact: true }) }).filter({ hasText: 'coordinación' }).first().waitFor(LONG);
  const steps = (await history.getByRole('listitem').allInnerTexts()).map((x) => x.trim());
  t.ok(steps.some((x) => x.startsWith(`${COORD.handle} creó Familia Soto Pérez`)), 'the history names the case by its name');
  await c.getByRole('button', { name: 'Equipos', exact: true }).click();
  await c.getByRole('button', { name: 'Albergue Colibrí' }).waitFor(LONG);
  t.equal(await c.getByRole('button', { name: /^Equipo [0-9a-f]{8}$/ }).count(), 0, 'the list of teams shows names, not ids');

  // The staff member, on a phone-wide screen, corrects the coordinator's testimony.
  await openTeam(s, 'Albergue Colibrí');
  await s.getByRole('button', { name: 'Familia Soto Pérez' }).click();
  await s.getByRole('button', { name: 'Llegada' }).click();
  await s.getByText('Llegaron de noche.').waitFor(LONG);
  await s.getByRole('button', { name: 'Corregir este testimonio' }).click();
  t.equal(await s.getByLabel('Relato', { exact: true }).inputValue(), 'Llegaron de noche.', 'the correction starts from the testimony as it is');
  t.equal(await sidewaysOverflow(s), 0, 'the editor fits 360 px');
  await s.getByLabel('Relato', { exact: true }).fill('Llegaron de noche, con frío y sin zapatos.');
  t.ok(await s.getByRole('button', { name: 'Guardar la corrección' }).isDisabled(), 'who added them is unverified: the correction waits for a yes');
  await s.getByLabel(`Entiendo el riesgo y quiero escribir sin verificar a ${COORD.handle}`).check();
  await s.getByRole('button', { name: 'Guardar la corrección' }).click();
  await s.getByText('Corrección guardada como versión 2.').waitFor(LONG);
  await s.getByText('Llegaron de noche, con frío y sin zapatos.').waitFor(LONG);
  await s.getByText('versión 2 de 2').waitFor(LONG);

  await s.getByRole('button', { name: 'Ver todas las versiones' }).click();
  const versions = s.getByRole('list', { name: 'Versiones' });
  await versions.getByText('Versión 1', { exact: true }).waitFor(LONG);
  const listed = (await versions.getByRole('listitem').allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim());
  t.match(listed, [new RegExp(`^Versión 2 · escrito por ${STAFF.handle}`), new RegExp(`^Versión 1 · escrito por ${COORD.handle}`)], 'each version with its author, newest first');
  await s.getByRole('button', { name: 'Leer la versión 1' }).click();
  await versions.getByText('Llegaron de noche.', { exact: true }).waitFor(LONG);
  t.pass('the original is read as it was');

  // A hostile server changes the bytes of the first version: it alone is named as failing.
  const v1 = await server.db.selectFrom('team_record_versions').select(['record_id', 'body']).where('version', '=', 1)
    .where('record_id', 'in', server.db.selectFrom('team_record_versions').innerJoin('accounts', 'accounts.id', 'team_record_versions.author_id')
      .select('record_id').where('version', '=', 2).where('accounts.handle', '=', STAFF.handle))
    .executeTakeFirstOrThrow();
  const body = Buffer.from(v1.body);
  body[body.length - 20]! ^= 0x01;
  await server.db.updateTable('team_record_versions').set({ body }).where('record_id', '=', v1.record_id).where('version', '=', 1).execute();
  await s.getByRole('button', { name: 'Cerrar' }).last().click();
  await s.getByRole('button', { name: 'Ver todas las versiones' }).click();
  await s.getByText('La versión 1 no pasó las comprobaciones').waitFor(LONG);
  t.match(await versions.innerText(), new RegExp(`Versión 2 · escrito por ${STAFF.handle}`), 'the correction is still listed');
  t.notMatch(await versions.innerText(), /Llegaron de noche\.$/m, 'the changed original is not shown as if it verified');
  await server.db.updateTable('team_record_versions').set({ body: v1.body }).where('record_id', '=', v1.record_id).where('version', '=', 1).execute();

  // The lawyer is shared the case, and is told who shared it and that they never compared them.
  await openTeam(c, 'Albergue Colibrí');
  await c.getByRole('button', { name: 'Familia Soto Pérez' }).click();
  await c.getByLabel('¿Con quién? (nombre de usuario)').fill(LAWYER.handle);
  await c.getByRole('button', { name: 'Comprobar' }).click();
  await c.getByLabel(`Entiendo el riesgo y quiero seguir sin verificar a ${LAWYER.handle}`).check();
  await c.getByRole('button', { name: `Compartir el caso con ${LAWYER.handle}` }).click();
  await c.getByText(`Caso compartido con ${LAWYER.handle}.`).waitFor(LONG);

  await openTeam(l, 'Albergue Colibrí');
  await l.getByRole('button', { name: 'Familia Soto Pérez' }).click();
  await l.getByRole('heading', { level: 1, name: 'Familia Soto Pérez' }).waitFor(LONG);
  const risk = l.getByRole('alert').filter({ hasText: 'compartió este caso con usted' });
  t.match(await risk.innerText(), new RegExp(`${COORD.handle} compartió este caso con usted y no ha comparado su número de seguridad`), 'the unverified sharer is named, with the risk');
  await l.getByRole('button', { name: 'Llegada' }).waitFor(LONG);
  t.equal(await l.getByRole('button', { name: 'Cambiar el nombre del caso' }).count(), 0, 'a reviewer does not rename');

  await c.getByRole('button', { name: `Cuenta (${COORD.handle})` }).click();
  const spoken = (await c.locator('.safety-number').first().innerText()).trim();
  await risk.getByRole('button', { name: `Comparar el número de ${COORD.handle} en Contactos (recomendado)` }).click();
  await l.getByLabel('Número que le leyeron').fill(spoken);
  await l.getByRole('button', { name: 'Comprobar y marcar como verificado' }).click();
  await l.getByText(`${COORD.handle} está verificado: su número coincide`).waitFor(LONG);
  await openTeam(l, 'Albergue Colibrí');
  await l.getByRole('button', { name: 'Familia Soto Pérez' }).click();
  await l.getByText(`${COORD.handle} compartió este caso con usted. Usted comparó su número de seguridad`).waitFor(LONG);
  t.equal(await l.getByText('no ha comparado su número').count(), 0, 'once compared, no risk notice');

  t.same(violations, { coordinator: [], staff: [], lawyer: [] }, 'no CSP violation for anyone');
});
