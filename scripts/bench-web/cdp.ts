// [Note: uploads timed without Playwright]
// Playwright enables the DevTools Network domain on every page and worker it attaches to,
// and Chromium then copies each request body into a Network event: an 8 MiB part becomes
// an 11 MB base64 message through the browser process to Playwright's Node process.
// Measured here (2026-12-06, a worker PUTting 32 × 8 MiB to a sink that discards them): 98 MB/s
// in Chromium with no DevTools client, 5 MB/s under Playwright, which also spent 7.8 s of
// its own CPU. So the upload is timed in a Chromium driven over a bare DevTools pipe that
// never enables Network: the same UI steps (labels and visible text), through the DOM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM, FLAGS } from '../../test/web/browser.ts';
import { onCore } from './pin.ts';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type CdpEvent = { method: string; params: unknown; sessionId?: string };

/** Chromium over --remote-debugging-pipe: JSON messages separated by NUL on fds 3 (in) and 4 (out). */
export class BareChromium {
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  private readonly listeners = new Set<(event: CdpEvent) => void>();

  private constructor(private readonly proc: ChildProcess, private readonly profile: string) {
    let buffered = '';
    (proc.stdio[4] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let end = buffered.indexOf('\0'); end >= 0; end = buffered.indexOf('\0')) {
        const m = JSON.parse(buffered.slice(0, end)) as { id?: number; result?: unknown; error?: { message: string } } & Partial<CdpEvent>;
        buffered = buffered.slice(end + 1);
        if (m.id === undefined && m.method) for (const l of this.listeners) l(m as CdpEvent);
        const p = m.id === undefined ? undefined : this.pending.get(m.id);
        if (!p) continue;
        this.pending.delete(m.id!);
        if (m.error) p.reject(new Error(m.error.message));
        else p.resolve(m.result);
      }
    });
  }

  /** `flags`: more of Chromium's switches (body-probe's --h2 trusts its own certificate). */
  static async launch(flags: string[] = []): Promise<BareChromium> {
    const profile = await mkdtemp(path.join(os.tmpdir(), 'tv-chromium-'));
    const proc = spawn(...onCore('client', CHROMIUM, [...FLAGS, ...flags, '--headless', '--lang=es-MX', '--accept-lang=es-MX', '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank']), { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    return new BareChromium(proc, profile);
  }

  send<T = unknown>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.next++;
    (this.proc.stdio[3] as NodeJS.WritableStream).write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
  }

  /** A flat session on a new tab. */
  async newTab(): Promise<string> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    return (await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true })).sessionId;
  }

  /**
   * A flat session on the dedicated worker a tab has started. Dedicated workers are not
   * listed by Target.getTargets; a tab's auto-attach announces them, the running ones too.
   */
  async attachWorker(pageSession: string, timeoutMs = 30_000): Promise<string> {
    let found: (session: string) => void = () => undefined;
    const listener = (e: CdpEvent) => {
      const p = e.params as { sessionId?: string; targetInfo?: { type: string } };
      if (e.method === 'Target.attachedToTarget' && e.sessionId === pageSession && p.targetInfo?.type === 'worker' && p.sessionId) found(p.sessionId);
    };
    this.listeners.add(listener);
    try {
      const session = new Promise<string>((resolve, reject) => {
        found = resolve;
        setTimeout(() => reject(new Error('no worker in this tab')), timeoutMs);
      });
      await this.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true }, pageSession);
      return await session;
    } finally {
      this.listeners.delete(listener);
    }
  }

  async close(): Promise<void> {
    await this.send('Browser.close').catch(() => undefined);
    await new Promise((r) => (this.proc.exitCode === null ? this.proc.on('exit', r) : r(null)));
    await rm(this.profile, { recursive: true, force: true });
  }
}

// Page-side helpers, plain JavaScript (tsx would wrap functions of this file in helpers the page lacks).
const FIND = `
  const byLabel = (text) => [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === text)?.control;
  const button = (re) => [...document.querySelectorAll('button')].find((b) => new RegExp(re).test(b.textContent.trim()) && !b.disabled);
  const fill = (text, value) => {
    const input = byLabel(text);
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  };
  const heading = (text) => [...document.querySelectorAll('h1')].some((h) => h.textContent.trim() === text);
`;

/** One tab of a BareChromium, driven through the page's DOM. */
export class BareTab {
  private constructor(private readonly chromium: BareChromium, readonly session: string) {}

  static async open(chromium: BareChromium, url: string): Promise<BareTab> {
    const tab = new BareTab(chromium, await chromium.newTab());
    await chromium.send('Page.enable', {}, tab.session);
    // A tab opened over the protocol starts in the background, where Chromium defers frames
    // and throttles timers; a person's tab is in front and focused (as Playwright's pages are).
    await chromium.send('Page.bringToFront', {}, tab.session);
    await chromium.send('Emulation.setFocusEmulationEnabled', { enabled: true }, tab.session);
    await chromium.send('Page.navigate', { url }, tab.session);
    await tab.until('document.readyState === "complete"');
    return tab;
  }

  async run<T>(expression: string): Promise<T> {
    const r = await this.chromium.send<{ result: { value: T }; exceptionDetails?: { text: string } }>(
      'Runtime.evaluate', { expression: `(() => { ${FIND} return (${expression}); })()`, returnByValue: true, awaitPromise: true }, this.session);
    if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.text}`);
    return r.result.value;
  }

  /** Polls every 20 ms until the expression is truthy; returns Date.now() when it was first seen. */
  async until(expression: string, timeoutMs = 300_000): Promise<number> {
    for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
      if (await this.run<boolean>(`!!(${expression})`).catch(() => false)) return Date.now();
    }
    throw new Error(`timed out waiting for ${expression}`);
  }

  /**
   * Epoch ms (the page's clock) when the expression first holds, seen by a MutationObserver in
   * the page: one DevTools message for the whole wait, where until() sends one every 20 ms
   * through the browser process to the page's main thread, CPU that an upload would share
   * with the harness ([Note: CPU in the window]).
   */
  async waitFor(expression: string, timeoutMs = 300_000): Promise<number> {
    return this.run<number>(`new Promise((ok, no) => {
      const holds = () => { try { return !!(${expression}); } catch { return false; } };
      const done = () => { observer.disconnect(); clearTimeout(timer); ok(performance.timeOrigin + performance.now()); };
      const observer = new MutationObserver(() => { if (holds()) done(); });
      const timer = setTimeout(() => { observer.disconnect(); no(new Error('timed out')); }, ${timeoutMs});
      if (holds()) done();
      else observer.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
    })`);
  }

  /** Logs in through the form; epoch ms of the click on "Entrar" and of the "Testimonios" heading. */
  async login(handle: string, passphrase: string): Promise<{ click: number; list: number }> {
    await this.until(`button('^Entrar$')`);
    await this.run(`fill('Nombre de usuario', ${JSON.stringify(handle)}), fill('Frase de contraseña', ${JSON.stringify(passphrase)})`);
    const click = await this.run<number>(`(button('^Entrar$').click(), performance.timeOrigin + performance.now())`);
    return { click, list: await this.until(`heading('Testimonios')`, 120_000) };
  }

  /**
   * Opens the record, picks the file with the "Elegir archivos" input, waits for it to be
   * listed as stored: seen by waitFor, or with `poll` by until() as before 2026-12-07 (to
   * measure what that polling cost).
   */
  async attach(recordTitle: string, file: string, poll = false): Promise<{ picked: number; listed: number }> {
    await this.until(`button(${JSON.stringify(recordTitle)})`);
    await this.run(`button(${JSON.stringify(recordTitle)}).click()`);
    await this.until(`heading(${JSON.stringify(recordTitle)}) && byLabel('Elegir archivos')`);
    const input = await this.chromium.send<{ result: { objectId: string } }>('Runtime.evaluate', { expression: `(() => { ${FIND} return byLabel('Elegir archivos'); })()` }, this.session);
    const picked = Date.now();
    await this.chromium.send('DOM.setFileInputFiles', { files: [file], objectId: input.result.objectId }, this.session);
    const name = JSON.stringify(path.basename(file));
    const listed = await (poll ? this.until.bind(this) : this.waitFor.bind(this))(`[...document.querySelectorAll('li')].some((li) => li.textContent.includes(${name}) && [...li.querySelectorAll('button')].some((b) => b.textContent.trim() === 'Descargar'))`);
    return { picked, listed };
  }

  async close(): Promise<void> {
    await this.chromium.send('Target.closeTarget', { targetId: (await this.chromium.send<{ targetInfo: { targetId: string } }>('Target.getTargetInfo', {}, this.session)).targetInfo.targetId });
  }
}
