// The login page's first load in Playwright's Chromium (CPU and network throttling through
// DevTools), timed inside the page: an init script notes, on the page's own clock, when the
// "Entrar" button is first visible and enabled. Playwright's polling adds nothing to it.
// (Uploads and logins are timed without Playwright: [Note: uploads timed without Playwright].)
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';

const LONG = { timeout: 600_000 };

interface Marks {
  ready?: number;
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
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
})();`;


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
    const readyEpoch = await page.evaluate(() => performance.timeOrigin + window.__marks.ready!);
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
