// Comparing safety numbers by scanning the other person's QR code with the camera, where the
// browser can read QR codes. Chromium on Linux has no BarcodeDetector, so the test gives the
// page one that reports what a camera pointed at a code would read (Chromium's fake camera
// supplies the picture); what is tested is the page's part: the camera started, the code
// read, checked to be this person's, and the contact verified by the library only if the
// number matches the keys the server presents.
import t from 'tap';
import { encode } from 'uqr';
import { build } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { registerThroughTheForm } from './people.ts';

const LONG = { timeout: 60_000 };

t.test('a QR code scanned with the camera verifies the contact; another code does not', async (t) => {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const browser = await launch(t, ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
  const lawyer = await spanishPage(browser);
  await lawyer.page.goto(server.url);
  await registerThroughTheForm(lawyer.page, 'lic-qr', 'azulejo cometa pradera sandía violín');
  await lawyer.page.getByRole('button', { name: 'Cuenta (lic-qr)' }).click();
  const digits = (await lawyer.page.locator('.safety-number').innerText()).replace(/\D/g, '');
  // The code the coordinator scans is on the lawyer's own Cuenta screen: its modules are
  // those of "tvault:lic-qr:<the number>".
  const drawn = await lawyer.page.getByRole('img', { name: 'Código QR del número de seguridad de lic-qr' }).evaluate((svg) =>
    [...svg.querySelectorAll('g rect')].map((r) => `${r.getAttribute('x')},${r.getAttribute('y')}`).sort(),
  );
  const { data } = encode(`tvault:lic-qr:${digits}`, { ecc: 'M', border: 2 });
  const expected = data.flatMap((row, y) => row.flatMap((dark, x) => (dark ? [`${x},${y}`] : []))).sort();
  t.same(drawn, expected, "the lawyer's account shows the QR code of her own safety number");

  const coord = await spanishPage(browser);
  await coord.context.grantPermissions(['camera']);
  // What the camera "sees": the code the test puts in front of it (window.__seen).
  await coord.page.addInitScript(() => {
    (globalThis as unknown as { BarcodeDetector: unknown }).BarcodeDetector = class {
      async detect() {
        const seen = (globalThis as unknown as { __seen?: string }).__seen;
        return seen ? [{ rawValue: seen }] : [];
      }
    };
  });
  await coord.page.goto(server.url);
  await registerThroughTheForm(coord.page, 'coord-qr', 'farolillo nutria espiga granate olmo');
  await coord.page.getByRole('button', { name: 'Contactos' }).click();
  await coord.page.getByLabel('Nombre de usuario de la persona').fill('lic-qr');
  await coord.page.getByRole('button', { name: 'Buscar' }).click();
  await coord.page.getByRole('button', { name: 'Escanear el código QR de lic-qr con la cámara' }).click();
  await coord.page.evaluate(() => ((globalThis as unknown as { __seen: string }).__seen = `tvault:otra-persona:${'1'.repeat(60)}`));
  await coord.page.getByText('Ese código QR no es el número de seguridad de esta persona.').waitFor(LONG);
  t.equal(await coord.page.getByText('lic-qr está verificado').count(), 0, "someone else's code verifies nothing");
  await coord.page.evaluate((d) => ((globalThis as unknown as { __seen: string }).__seen = `tvault:lic-qr:${d}`), digits);
  await coord.page.getByText('lic-qr está verificado: su número coincide').waitFor(LONG);
  t.pass('the scanned code verified the contact');
  const contact = await coord.page.locator('#contact-title').innerText();
  t.match(contact, /verificado/, 'shown as verified');
  t.same([...lawyer.violations, ...coord.violations], [], 'no CSP violation (the camera is allowed on this origin)');
});
