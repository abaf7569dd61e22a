// What the sharing benchmark times in the browser, as a person does it: a click on a visible
// control, then the wait until the page shows the result. Driven through the DOM of a
// BareTab (scripts/bench-web/cdp.ts, no Playwright in the path). Times are epoch ms of the
// click (in the page's clock) and of the first poll that saw the result (every 20 ms).
import type { BareTab } from '../bench-web/cdp.ts';

const CLICK_AT = 'performance.timeOrigin + performance.now()';
const statusText = `[...document.querySelectorAll('[role=status]')].map((s) => s.textContent).join(' ')`;

/** Seconds from clicking `button` (a regular expression on its text) until `done` holds. */
async function clickUntil(tab: BareTab, button: string, done: string): Promise<number> {
  await tab.until(`button(${JSON.stringify(button)})`);
  const clicked = await tab.run<number>(`(button(${JSON.stringify(button)}).click(), ${CLICK_AT})`);
  return ((await tab.until(done)) - clicked) / 1000;
}

/** The record list on screen and settled (its first page decrypted), so nothing else runs. */
export async function recordsSettled(tab: BareTab): Promise<void> {
  await tab.until(`heading('Testimonios') && document.querySelectorAll('main ul.records li').length > 0 && !/Descifrando/.test(${statusText})`, 120_000).catch(async (err: Error) => {
    throw new Error(`${err.message}\nThe page shows: ${await tab.run<string>('document.body.innerText').catch(() => '?')}`);
  });
}

/** "Compartidos conmigo" until all `count` shared records are listed with their titles. */
export function openInbox(tab: BareTab, count: number): Promise<number> {
  return clickUntil(tab, '^Compartidos conmigo$', `heading('Compartidos conmigo') && document.querySelectorAll('main ul.records li').length === ${count}`);
}

/** From the record list: types `words` in the search field, "Buscar", until "N encontrados entre M". */
export async function search(tab: BareTab, words: string): Promise<{ seconds: number; status: string }> {
  await tab.until(`byLabel('Buscar en títulos, lugares y etiquetas')`);
  await tab.run(`fill('Buscar en títulos, lugares y etiquetas', ${JSON.stringify(words)})`);
  const seconds = await clickUntil(tab, '^Buscar$', `/encontrados? entre/.test(${statusText}) && !/Descifrando/.test(${statusText})`);
  return { seconds, status: await tab.run<string>(statusText) };
}

/**
 * Opens the record titled `title`, then "Quién lo vio" until its first page of history shows as
 * verified (`first`), then "Ver más eventos" until the whole history is verified (`whole`, from
 * the first click; the screen says "hasta ahora" while pages remain).
 */
export async function openHistory(tab: BareTab, title: string): Promise<{ first: number; whole: number; status: string }> {
  await tab.until(`button(${JSON.stringify(`^${title}`)})`);
  await tab.run(`button(${JSON.stringify(`^${title}`)}).click()`);
  await tab.until(`heading(${JSON.stringify(title)})`);
  const verified = `/verificados? contra el registro firmado/.test(${statusText})`;
  const first = await clickUntil(tab, '^Quién lo vio$', verified);
  let whole = first;
  while (/hasta ahora/.test(await tab.run<string>(statusText))) {
    const shown = await tab.run<number>(`document.querySelectorAll('main li').length`);
    whole += await clickUntil(tab, '^Ver más eventos$', `${verified} && (!/hasta ahora/.test(${statusText}) || document.querySelectorAll('main li').length > ${shown})`);
  }
  return { first, whole, status: await tab.run<string>(statusText) };
}

/** In the inbox: types `words`, "Buscar", until fewer than `of` shared records are listed and the search can be cleared. */
export async function searchInbox(tab: BareTab, words: string, of: number): Promise<number> {
  await tab.until(`byLabel('Buscar en títulos, lugares y etiquetas')`);
  await tab.run(`fill('Buscar en títulos, lugares y etiquetas', ${JSON.stringify(words)})`);
  const listed = `document.querySelectorAll('main ul.records li').length`;
  return clickUntil(tab, '^Buscar$', `button('^Quitar filtros$') && ${listed} > 0 && ${listed} < ${of}`);
}
