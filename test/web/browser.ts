// Headless Chromium for the web client's end-to-end tests: Debian's package, driven by
// playwright-core. A machine without it fails the tests (never skips them): CI installs
// it (.ci/run), and so does `npm test` when it runs as root (scripts/ensure-chromium.sh).
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build as viteBuild, defaultClientConditions } from 'vite';

type Tap = { teardown(fn: () => unknown): void };

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// As root Chromium needs --no-sandbox; the background-networking flags keep it from
// reaching for Google's hosts, which this closed network refuses.
export const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launch(t: Tap, extraArgs: string[] = []): Promise<Browser> {
  try {
    await access(CHROMIUM);
  } catch {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...extraArgs] });
  t.teardown(() => browser.close());
  return browser;
}

/** A fresh context in Spanish, as a coordinator in Mexico would have it. */
export async function spanishPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const context = await browser.newContext({ locale: 'es-MX', acceptDownloads: true });
  const page = await context.newPage();
  const violations = watchCsp(page);
  return { context, page, violations };
}

/**
 * Every Content-Security-Policy violation the page or its worker reports: the
 * `securitypolicyviolation` event (added before any page script runs) and the console's
 * "Refused to …" lines.
 */
export function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  void page.exposeFunction('__reportCsp', (what: string) => violations.push(what));
  void page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCsp(s: string): void }).__reportCsp(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}

/** Builds the web client (web/vite.config.ts) into a temporary folder for one test file. */
export async function buildWeb(t: Tap): Promise<string> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'tv-web-'));
  t.teardown(() => rm(outDir, { recursive: true, force: true }));
  const root = path.resolve(import.meta.dirname, '../../web');
  // From the library's sources (the condition tap runs with), like every other test: the
  // compiled dist/ is what `npm run build` ships, and may be older than the sources here.
  await viteBuild({
    configFile: path.join(root, 'vite.config.ts'),
    root,
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
    resolve: { conditions: ['@testimony-vault/source', ...defaultClientConditions] },
  });
  return outDir;
}

/** What the browser keeps for this origin: every storage API, as a thief of the laptop would read it. */
export async function storageContents(context: BrowserContext, page: Page) {
  const inPage = await page.evaluate(async () => ({
    localStorage: localStorage.length,
    sessionStorage: sessionStorage.length,
    indexedDB: (await indexedDB.databases()).map((d) => d.name ?? ''),
    caches: await caches.keys(),
    cookie: document.cookie,
    serviceWorkers: (await navigator.serviceWorker.getRegistrations()).length,
  }));
  return { ...inPage, cookies: (await context.cookies()).length };
}

export const EMPTY_STORAGE = { localStorage: 0, sessionStorage: 0, indexedDB: [], caches: [], cookie: '', serviceWorkers: 0, cookies: 0 };

/** How many CSS pixels the page scrolls sideways (0 when it fits its width). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
