// The web client driven as a person would (labels and visible text, as test/web does), with
// the times taken inside the page: an init script notes, on the page's own clock, when the
// "Entrar" button is first visible and enabled, when it is clicked, and when the
// "Testimonios" heading appears. Playwright's polling adds nothing to those figures.
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';

export const LONG = { timeout: 600_000 };

interface Marks {
  ready?: number;
  click?: number;
  list?: number;
}

declare global {
  interface Window {
    __marks: Marks;
  }
}

// Plain JavaScript, not a function of this file: tsx would wrap its inner functions in
// helpers the page does not have.
const INSTALL_MARKS = `(() => {
  const marks = {};
  window.__marks = marks;
  const entrar = () => [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Entrar');
  const check = () => {
    const b = entrar();
    if (marks.ready === undefined && b && !b.disabled && b.getBoundingClientRect().width > 0) marks.ready = performance.now();
    if (marks.list === undefined && [...document.querySelectorAll('h1')].some((h) => h.textContent.trim() === 'Testimonios')) marks.list = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
  document.addEventListener('click', (e) => {
    if (e.target instanceof Element && e.target.closest('button')?.textContent.trim() === 'Entrar') marks.click = performance.now();
  }, true);
})();`;

/** Epoch milliseconds of a page-clock mark. */
const epoch = (page: Page, mark: keyof Marks) => page.evaluate((m) => performance.timeOrigin + (window.__marks[m] ?? NaN), mark);

export interface Throttle {
  cpu: number;
  /** Chromium's network emulation: round trip (ms) and throughput (bytes/s) each way. */
  network?: { latency: number; down: number; up: number };
}

async function freshPage(browser: Browser, throttle: Throttle = { cpu: 1 }) {
  const context = await browser.newContext({ locale: 'es-MX' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  if (throttle.cpu > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle.cpu });
  if (throttle.network) {
    await cdp.send('Network.enable');
    const { latency, down, up } = throttle.network;
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency, downloadThroughput: down, uploadThroughput: up });
  }
  await page.addInitScript({ content: INSTALL_MARKS });
  return { context, page };
}

export interface FirstLoad {
  /** Navigation start to "Entrar" visible and enabled (ms). */
  interactive: number;
  /** Whether the crypto worker had started by then. */
  workerBefore: boolean;
  /** Every script the page fetched before it was interactive: URL, bytes on the wire, bytes gzipped here. */
  scripts: { url: string; wire: number; gzip: number }[];
  allBytes: number;
}

const gzipCache = new Map<string, number>();

async function gzipSize(url: string): Promise<number> {
  if (!gzipCache.has(url)) gzipCache.set(url, gzipSync(Buffer.from(await (await fetch(url)).arrayBuffer()), { level: 6 }).length);
  return gzipCache.get(url)!;
}

/** The login page from a cold cache: when it can be used and what JavaScript it took. */
export async function firstLoad(browser: Browser, origin: string, throttle: Throttle): Promise<FirstLoad> {
  const { context, page } = await freshPage(browser, throttle);
  let workerAt: number | undefined;
  page.on('worker', () => (workerAt ??= Date.now()));
  try {
    await page.goto(origin);
    await page.waitForFunction(() => window.__marks.ready !== undefined, undefined, LONG);
    const readyEpoch = await epoch(page, 'ready');
    // Resource Timing of the document: the page's own fetches, never the worker's.
    const entries = await page.evaluate((until) => performance.getEntriesByType('resource')
      .filter((e) => e.startTime <= until)
      .map((e) => ({ url: e.name, wire: (e as PerformanceResourceTiming).encodedBodySize })), await page.evaluate(() => window.__marks.ready!));
    const scripts = [];
    for (const e of entries.filter((x) => new URL(x.url).pathname.endsWith('.js'))) scripts.push({ ...e, gzip: await gzipSize(e.url) });
    const nav = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).encodedBodySize);
    return {
      interactive: await page.evaluate(() => window.__marks.ready!),
      workerBefore: workerAt !== undefined && workerAt <= readyEpoch,
      scripts,
      allBytes: nav + entries.reduce((n, e) => n + e.wire, 0),
    };
  } finally {
    await context.close();
  }
}

/** The Content-Encoding the server answers a browser's Accept-Encoding with ('' for none). */
export async function contentEncoding(url: string): Promise<string> {
  const res = await fetch(url, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
  await res.arrayBuffer();
  return res.headers.get('content-encoding') ?? '';
}

/** Opens the login page and logs in; the clicks and the heading timed on the page's clock (epoch ms). */
export async function browserLogin(browser: Browser, origin: string, handle: string, passphrase: string) {
  const { context, page } = await freshPage(browser);
  await page.goto(origin);
  await page.getByLabel('Nombre de usuario', { exact: true }).fill(handle);
  await page.getByLabel('Frase de contraseña', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByRole('heading', { name: 'Testimonios' }).waitFor(LONG);
  return { context, page, click: await epoch(page, 'click'), list: await epoch(page, 'list') };
}

/** In a logged-in page: opens the record, picks the file, waits until it is listed as stored. Epoch ms of pick and listed. */
export async function browserAttach(page: Page, recordTitle: string, file: string, name: string) {
  await page.getByRole('button', { name: new RegExp(recordTitle) }).click();
  await page.getByRole('heading', { name: recordTitle }).waitFor(LONG);
  const picker = page.getByLabel('Elegir archivos');
  const picked = Date.now();
  await picker.setInputFiles(file);
  const stored = page.getByRole('listitem').filter({ hasText: name }).filter({ has: page.getByRole('button', { name: 'Descargar' }) });
  await stored.waitFor(LONG);
  return { picked, listed: Date.now() };
}
