// The start of the redacted-sharing browser tests: a coordinator and a lawyer registered
// through the form in two Spanish pages, and the coordinator's share form filled up to the
// redacted-copies box (whose default is waited for: the worker sets it after looking at the photos).
import type { Browser, Page } from 'playwright-core';
import { spanishPage } from './browser.ts';
import { registerThroughTheForm } from './people.ts';

const LONG = { timeout: 90_000 };

export interface Person {
  handle: string;
  passphrase: string;
}

export async function coordinatorAndLawyer(browser: Browser, url: string, coordinator: Person, lawyer: Person) {
  const coord = await spanishPage(browser);
  const other = await spanishPage(browser);
  await coord.page.goto(url);
  await other.page.goto(url);
  await registerThroughTheForm(coord.page, coordinator.handle, coordinator.passphrase);
  await registerThroughTheForm(other.page, lawyer.handle, lawyer.passphrase);
  return { coord, lawyer: other, c: coord.page, l: other.page };
}

/** Opens the share form of the testimony on screen for `handle`, unverified; returns the redacted-copies box. */
export async function shareFormFor(c: Page, handle: string) {
  await c.getByRole('button', { name: 'Compartir', exact: true }).click();
  await c.getByLabel('¿Con quién? (nombre de usuario)').fill(handle);
  await c.getByRole('button', { name: 'Comprobar' }).click();
  await c.getByLabel('Entiendo el riesgo y quiero compartir sin verificar').check(LONG);
  const redact = c.getByLabel('Compartir las fotos como copias depuradas (sin ubicación, dispositivo ni hora)');
  await redact.waitFor(LONG);
  for (let i = 0; i < 100 && !(await redact.isChecked()); i++) await c.waitForTimeout(100);
  return redact;
}
