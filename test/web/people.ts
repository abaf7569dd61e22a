// Steps a person takes in the web client, shared by the browser tests.
import type { Page } from 'playwright-core';

const LONG = { timeout: 120_000 };

/** Registers through the form (with an invite code as typed, if given) and confirms three recovery words; ends on the testimony list. */
export async function registerThroughTheForm(page: Page, handle: string, passphrase: string, invite?: string): Promise<string[]> {
  await page.getByRole('button', { name: 'Crear una cuenta' }).click();
  if (invite !== undefined) await page.getByLabel('Código de invitación', { exact: true }).fill(invite);
  await page.getByLabel('Nombre de usuario', { exact: true }).fill(handle);
  await page.getByLabel('Nueva frase de contraseña', { exact: true }).fill(passphrase);
  await page.getByText('Frase suficientemente fuerte.').waitFor(LONG);
  await page.getByLabel('Repita la frase de contraseña', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Crear cuenta' }).click();
  await page.getByRole('heading', { name: 'Sus 24 palabras de recuperación' }).waitFor(LONG);
  const items = await page.getByRole('list', { name: 'Palabras de recuperación' }).getByRole('listitem').allInnerTexts();
  const words = items.map((s) => s.trim().split(/\s+/)[1]!);
  await page.getByLabel('Ya las escribí en papel').check();
  await page.getByRole('button', { name: 'Continuar' }).click();
  await typeBackWords(page, words);
  await page.getByRole('heading', { name: 'Testimonios' }).waitFor();
  return words;
}

/** Fills the three "Palabra número N" fields with the right words and confirms. */
export async function typeBackWords(page: Page, words: string[], wrongFirst = false): Promise<void> {
  const asked = page.getByLabel(/^Palabra número \d+$/);
  const labels = await asked.evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).labels![0]!.textContent!));
  for (const [i, label] of labels.entries()) {
    const n = Number(/\d+/.exec(label)![0]);
    await page.getByLabel(label, { exact: true }).fill(wrongFirst && i === 0 ? 'equivocada' : words[n - 1]!);
  }
  await page.getByRole('button', { name: 'Confirmar' }).click();
}

export async function login(page: Page, handle: string, passphrase: string): Promise<void> {
  await page.getByLabel('Nombre de usuario', { exact: true }).fill(handle);
  await page.getByLabel('Frase de contraseña', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByRole('heading', { name: 'Testimonios' }).waitFor(LONG);
}
