// The whole mission in two browsers at once: a coordinator and a lawyer register, compare
// safety numbers, the coordinator shares two testimonies with an end date, the lawyer reads
// them in the inbox and downloads the evidence bundle (which tvault verify-export accepts),
// the coordinator revokes one and the lawyer is refused at once, and each record's history
// shows every step in Spanish. Then, as a hostile server: the lawyer's keys swapped after
// the verification (the key-change warning, nothing shared), an event dropped from a
// history (the tampering warning), and the drop page checking a good and a changed export.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { strFromU8, unzipSync } from 'fflate';
import sodium from 'libsodium-wrappers-sumo';
import { identityStatement } from '@testimony-vault/protocol';
import type { Page } from 'playwright-core';
import { build } from '../helper.ts';
import { RUN_TS } from '../run-ts.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { evidenceFolder, sha256, writePhoto } from './fixtures.ts';
import { registerThroughTheForm } from './people.ts';

const LONG = { timeout: 90_000 };
const COORD = { handle: 'coord-norte', passphrase: 'mariposa tejado brújula cántaro nieve' };
const LAWYER = { handle: 'lic-ramirez', passphrase: 'pelícano sombrero arcilla trueno lima' };
const root = path.resolve(import.meta.dirname, '../..');

async function writeTestimony(page: Page, title: string, narrative: string) {
  await page.getByRole('button', { name: 'Testimonios' }).first().click();
  await page.getByRole('button', { name: 'Nuevo testimonio' }).click();
  await page.getByLabel('Título', { exact: true }).fill(title);
  await page.getByLabel('Relato', { exact: true }).fill(narrative);
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.getByRole('heading', { name: title }).waitFor(LONG);
}

async function download(page: Page, click: () => Promise<void>, dir: string, name: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download', LONG), click()]);
  const target = path.join(dir, name);
  await file.saveAs(target);
  return target;
}

t.test('a coordinator shares with a lawyer, revokes, and both see who accessed what', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t);
  const dir = await evidenceFolder(t);
  const coord = await spanishPage(browser);
  const lawyer = await spanishPage(browser);
  const [c, l] = [coord.page, lawyer.page];
  await c.goto(server.url);
  await l.goto(server.url);
  await registerThroughTheForm(c, COORD.handle, COORD.passphrase);
  await registerThroughTheForm(l, LAWYER.handle, LAWYER.passphrase);

  await writeTestimony(c, 'Extorsión en el tren', 'Les pidieron cien dólares por persona para dejarlos seguir.');
  const photo = await writePhoto(dir, 'vagon.png');
  await c.getByLabel('Elegir archivos').setInputFiles(photo.path);
  await c.getByRole('listitem').filter({ hasText: 'vagon.png' }).filter({ has: c.getByRole('button', { name: 'Ver' }) }).waitFor(LONG);
  await writeTestimony(c, 'Detención arbitraria', 'Los detuvieron sin orden durante dos días.');

  // The lawyer reads out their safety number; the coordinator types what they hear.
  await l.getByRole('button', { name: `Cuenta (${LAWYER.handle})` }).click();
  const spoken = (await l.locator('.safety-number').innerText()).trim();
  await c.getByRole('button', { name: 'Contactos' }).click();
  await c.getByLabel('Nombre de usuario de la persona').fill(LAWYER.handle);
  await c.getByRole('button', { name: 'Buscar' }).click();
  await c.getByRole('img', { name: `Código QR del número de seguridad de ${LAWYER.handle}` }).waitFor(LONG);
  await c.getByLabel('Número que le leyeron').fill('12345 67890');
  await c.getByRole('button', { name: 'Comprobar y marcar como verificado' }).click();
  await c.getByText('El número que escribió no coincide con las llaves').waitFor(LONG);
  t.equal(await c.getByText(`${LAWYER.handle} está verificado`).count(), 0, 'a wrong number does not verify');
  await c.getByLabel('Número que le leyeron').fill(spoken);
  await c.getByRole('button', { name: 'Comprobar y marcar como verificado' }).click();
  await c.getByText(`${LAWYER.handle} está verificado: su número coincide`).waitFor(LONG);

  // Share both, with an end date.
  await c.getByRole('button', { name: 'Testimonios' }).first().click();
  await c.getByLabel('Elegir «Extorsión en el tren» para compartir').check();
  await c.getByLabel('Elegir «Detención arbitraria» para compartir').check();
  await c.getByRole('button', { name: 'Compartir 2 testimonios' }).click();
  await c.getByLabel('¿Con quién? (nombre de usuario)').fill(LAWYER.handle);
  await c.getByRole('button', { name: 'Comprobar' }).click();
  await c.getByText(`${LAWYER.handle} está verificado.`).waitFor(LONG);
  await c.getByLabel('Acceso hasta (opcional)').fill('2027-06-30');
  await c.getByRole('button', { name: `Compartir 2 con ${LAWYER.handle}` }).click();
  await c.getByText(`2 testimonios compartidos con ${LAWYER.handle}.`).waitFor(LONG);

  // The lawyer's inbox: both, from whom, until when; reading works, editing is not offered.
  await l.getByRole('button', { name: 'Compartidos conmigo' }).click();
  await l.getByRole('button', { name: /Extorsión en el tren/ }).waitFor(LONG);
  t.ok(await l.getByRole('button', { name: /Detención arbitraria/ }).isVisible(), 'both testimonies in the inbox');
  t.match(await l.getByRole('button', { name: /Extorsión en el tren/ }).innerText(), /De coord-norte[\s\S]*Acceso hasta/, 'from whom and until when');
  // Searching the inbox, in the lawyer's worker: accents and case do not matter.
  await l.getByLabel('Buscar en títulos, lugares y etiquetas').fill('detencion ARBITRARIA');
  await l.getByRole('button', { name: 'Buscar', exact: true }).click();
  await l.getByRole('button', { name: 'Quitar filtros' }).waitFor(LONG);
  t.equal(await l.getByRole('button', { name: /Detención arbitraria/ }).count(), 1, 'the search finds the one testimony');
  t.equal(await l.getByRole('button', { name: /Extorsión en el tren/ }).count(), 0, 'and leaves the other out');
  await l.getByLabel('Buscar en títulos, lugares y etiquetas').fill('inundación');
  await l.getByRole('button', { name: 'Buscar', exact: true }).click();
  await l.getByText('Ningún testimonio coincide.').waitFor(LONG);
  await l.getByRole('button', { name: 'Quitar filtros' }).click();
  await l.getByRole('button', { name: /Extorsión en el tren/ }).waitFor(LONG);
  await l.getByRole('button', { name: /Extorsión en el tren/ }).click();
  await l.getByText('Les pidieron cien dólares').waitFor(LONG);
  t.equal(await l.getByRole('button', { name: 'Editar' }).count(), 0, 'the lawyer is not offered to edit');
  t.equal(await l.getByRole('button', { name: 'Compartir' }).count(), 0, 'nor to share again');

  // The evidence bundle: files verified, and its history accepted by tvault verify-export.
  const zipPath = await download(l, () => l.getByRole('button', { name: 'Paquete de evidencia (.zip)' }).click(), dir, 'bundle.zip');
  const entries = unzipSync(await readFile(zipPath));
  t.same(Object.keys(entries).sort(), ['CUSTODY.md', 'HISTORY.json', 'MANIFEST.sha256', 'files/vagon.png', 'record.json', 'record.md'], 'the layout tvault export writes, and the history');
  t.equal(sha256(Buffer.from(entries['files/vagon.png']!)), photo.sha256, 'the photo in the bundle is the one attached');
  t.match(strFromU8(entries['MANIFEST.sha256']!), `${photo.sha256}  files/vagon.png`);
  const historyFile = path.join(dir, 'HISTORY.json');
  await writeFile(historyFile, entries['HISTORY.json']!);
  const verified = await promisify(execFile)(process.execPath, [...RUN_TS, 'cli/src/main.ts', '--lang', 'en', 'verify-export', historyFile], { cwd: root });
  t.match(verified.stdout, /VERIFIED/, 'tvault verify-export accepts the bundle’s history');

  // A hostile server breaks one grant's signature: the inbox names that testimony as failed
  // and still shows the other, verified; with the grant restored both are back.
  const [broken] = await server.db.selectFrom('grants').select(['id', 'record_id', 'signature']).orderBy('granted_at').execute();
  const flipped = Buffer.from(broken!.signature);
  flipped[0]! ^= 1;
  await server.db.updateTable('grants').set({ signature: flipped }).where('id', '=', broken!.id).execute();
  await l.getByRole('button', { name: 'Compartidos conmigo' }).click();
  const failed = l.getByRole('alert').filter({ hasText: 'Testimonios compartidos que no se pudieron verificar' });
  await failed.waitFor(LONG);
  t.match(await failed.innerText(), `Compartido por ${COORD.handle}, según el servidor; testimonio ${broken!.record_id.slice(0, 8)}`, 'the failed testimony is named, with who the server says sent it');
  const shown = await l.getByRole('button', { name: /Extorsión en el tren|Detención arbitraria/ }).count();
  t.equal(shown, 1, 'the other testimony is still listed');
  await server.db.updateTable('grants').set({ signature: broken!.signature }).where('id', '=', broken!.id).execute();
  await l.getByRole('button', { name: 'Testimonios' }).first().click();
  await l.getByRole('button', { name: 'Compartidos conmigo' }).click();
  await l.getByRole('button', { name: /Detención arbitraria/ }).waitFor(LONG);
  await l.getByRole('button', { name: /Extorsión en el tren/ }).waitFor(LONG);
  t.equal(await failed.count(), 0, 'no warning once the grant is whole again');
  await l.getByRole('button', { name: 'Testimonios' }).first().click();

  // Revoke one: the lawyer is refused at once.
  await c.getByRole('button', { name: 'Volver' }).click();
  await c.getByRole('button', { name: /Extorsión en el tren/ }).click();
  await c.getByRole('button', { name: `Revocar a ${LAWYER.handle}` }).click();
  await c.getByText('revocado el').waitFor(LONG);
  await l.getByRole('button', { name: 'Compartidos conmigo' }).click();
  await l.getByRole('button', { name: /Detención arbitraria/ }).waitFor(LONG);
  t.equal(await l.getByRole('button', { name: /Extorsión en el tren/ }).count(), 0, 'the revoked testimony left the inbox');
  const live = await server.db.selectFrom('grants').select('revoked_at').execute();
  t.equal(live.filter((g) => g.revoked_at === null).length, 1, 'one grant left on the server');

  // The coordinator's history of the revoked record, in Spanish, verified.
  await c.getByRole('button', { name: 'Quién lo vio' }).click();
  await c.getByText(/eventos, verificados contra el registro firmado/).waitFor(LONG);
  const history = await c.locator('.events').innerText();
  t.match(history, /coord-norte\s+creó el testimonio/, 'created');
  t.match(history, new RegExp(`coord-norte\\s+lo compartió con ${LAWYER.handle}`), 'shared');
  t.match(history, new RegExp(`${LAWYER.handle}\\s+leyó el testimonio`), "the lawyer's read");
  t.match(history, new RegExp(`coord-norte\\s+le quitó el acceso a ${LAWYER.handle}`), 'revoked');
  // The key every history is checked against, to compare with the one the organisation publishes.
  const logKey = JSON.parse(strFromU8(entries['HISTORY.json']!)).verifierKey as string;
  t.match(await c.locator('main').innerText(), `Llave del registro firmado: ${logKey}`, 'the history shows the log key it was checked against');
  await c.getByLabel('Solo lo que hicieron otras personas').check();
  const others = await c.locator('.events').innerText();
  t.notMatch(others, /coord-norte/, "the coordinator's own events can be hidden");
  t.match(others, new RegExp(`${LAWYER.handle}\\s+leyó el testimonio`), "leaving the lawyer's");
  const exported = await download(c, () => c.getByRole('button', { name: 'Exportar para un tribunal (.json)' }).click(), dir, 'historial.json');

  // The drop page, with no account: the export verifies; one byte changed does not.
  const visitor = await spanishPage(browser);
  await visitor.page.goto(server.url);
  await visitor.page.getByRole('button', { name: /Verificar una exportación/ }).click();
  await visitor.page.getByLabel('Elegir archivo').setInputFiles(exported);
  await visitor.page.getByRole('heading', { name: 'Verificado' }).waitFor(LONG);
  t.pass('the drop page verifies the export');
  await visitor.page.getByLabel('Elegir archivo').setInputFiles(zipPath);
  await visitor.page.getByText('vagon.png — coincide con MANIFEST.sha256').waitFor(LONG);
  t.pass('and the evidence bundle, file by file');
  t.match(await visitor.page.locator('main').innerText(), /Solo el historial está firmado/, 'saying the files and the testimony in it are not signed');
  const doc = JSON.parse(await readFile(exported, 'utf8')) as { checkpoint: string };
  const changed = path.join(dir, 'cambiado.json');
  const digit = doc.checkpoint.match(/\n(\d+)\n/)!;
  await writeFile(changed, (await readFile(exported, 'utf8')).replace(JSON.stringify(doc.checkpoint), JSON.stringify(doc.checkpoint.replace(digit[0], `\n${Number(digit[1]) + 1}\n`))));
  await visitor.page.getByLabel('Elegir archivo').setInputFiles(changed);
  await visitor.page.getByRole('heading', { name: 'Advertencia: posible manipulación' }).waitFor(LONG);
  t.pass('a changed export is a tampering warning');

  // A server that drops an event from the history: the tampering warning, not a shorter list.
  await c.context().route(/\/v1\/records\/[^/]+\/history/, async (route) => {
    const res = await route.fetch();
    const body = (await res.json()) as { events: unknown[] };
    body.events.splice(1, 1);
    await route.fulfill({ response: res, json: body });
  });
  await c.getByRole('button', { name: '← Volver' }).click();
  await c.getByRole('button', { name: 'Quién lo vio' }).click();
  await c.getByRole('heading', { name: 'Advertencia: posible manipulación' }).waitFor(LONG);
  t.equal(await c.locator('.events').count(), 0, 'no list is shown');
  await c.context().unroute(/\/v1\/records\/[^/]+\/history/);

  // The server swaps the lawyer's keys (a new, self-signed identity it made itself).
  await sodium.ready;
  const sign = sodium.crypto_sign_keypair();
  const box = sodium.crypto_box_keypair();
  const signature = sodium.crypto_sign_detached(identityStatement(LAWYER.handle, sign.publicKey, box.publicKey), sign.privateKey);
  await server.db
    .updateTable('accounts')
    .set({ sign_public_key: Buffer.from(sign.publicKey), box_public_key: Buffer.from(box.publicKey), identity_signature: Buffer.from(signature) })
    .where('handle', '=', LAWYER.handle)
    .execute();
  const grantsBefore = await server.db.selectFrom('grants').select('id').execute();
  await c.getByRole('button', { name: 'Testimonios' }).first().click();
  await c.getByRole('button', { name: /Detención arbitraria/ }).click();
  await c.getByRole('button', { name: 'Compartir' }).click();
  await c.getByLabel('¿Con quién? (nombre de usuario)').fill(LAWYER.handle);
  await c.getByRole('button', { name: 'Comprobar' }).click();
  await c.getByRole('heading', { name: `Las llaves de ${LAWYER.handle} cambiaron` }).waitFor(LONG);
  t.match(await c.getByRole('alertdialog').innerText(), new RegExp(spoken.replace(/\s+/g, '\\s+')), 'the warning shows the number that was verified');
  t.equal(await c.getByRole('button', { name: `Compartir con ${LAWYER.handle}` }).count(), 0, 'nothing can be shared to the new key');
  const grantsAfter = await server.db.selectFrom('grants').select('id').execute();
  t.equal(grantsAfter.length, grantsBefore.length, 'no grant was made');
  t.same([...coord.violations, ...lawyer.violations, ...visitor.violations], [], 'no CSP violation in any browser');
});
