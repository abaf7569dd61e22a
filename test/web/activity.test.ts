// The administrator's Activity page proves each page of the whole log against the signed
// checkpoint: an operator who rewrites one stored event (here, who did it) gets the
// tampering warning on screen, not a list that names someone else.
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { decodeAuditEvent, encodeAuditEvent } from '@testimony-vault/protocol';
import { build } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { login } from './people.ts';

const PASSPHRASE = 'alcatraz remolino pizarra volcán ciruela';
const LONG = { timeout: 60_000 };

t.test('an audit event edited in the database: the Activity page shows the tampering warning', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  // The first account is the server's administrator; written by the library at the browser's cost.
  const { vault } = await Vault.register({ server: server.url, handle: 'administracion', passphrase: PASSPHRASE });
  const { id } = await vault.createRecord({ title: 'Retén en Arriaga', narrative: 'Les quitaron los documentos.' });
  await vault.getRecord(id);
  await vault.logout();

  const browser = await launch(t);
  const { page, violations } = await spanishPage(browser);
  await page.goto(server.url);
  await login(page, 'administracion', PASSPHRASE);
  await page.getByRole('button', { name: 'Actividad' }).click();
  await page.getByText(/eventos mostrados, cada uno verificado contra el registro firmado/).waitFor(LONG);
  t.equal(await page.getByText('creó el testimonio').count(), 1, 'the whole log is listed, verified');
  t.equal(await page.getByText('alguien-mas').count(), 0);

  // The operator makes the record's creation read as someone else's, in the stored leaf.
  const row = await server.db.selectFrom('audit_events').select(['idx', 'leaf']).where('record_id', '=', id).orderBy('idx').executeTakeFirstOrThrow();
  const event = decodeAuditEvent(new Uint8Array(row.leaf));
  t.equal(event.action, 'record.create', 'the event edited is the creation');
  const forged = encodeAuditEvent({ ...event, actor: 'alguien-mas' });
  await server.db.updateTable('audit_events').set({ leaf: Buffer.from(forged) }).where('idx', '=', row.idx).execute();

  await page.getByRole('button', { name: 'Testimonios' }).first().click();
  await page.getByRole('button', { name: 'Actividad' }).click();
  await page.getByRole('heading', { name: 'Advertencia: posible manipulación' }).waitFor(LONG);
  t.equal(await page.locator('.events').count(), 0, 'no list is shown');
  t.equal(await page.getByText('alguien-mas').count(), 0, 'the forged actor is not shown');
  t.match(await page.getByRole('alert').innerText(), /VAULT_ERR_AUDIT_LOG/, 'the code names the audit log');
  t.same(violations, [], 'no Content-Security-Policy violations');
});
