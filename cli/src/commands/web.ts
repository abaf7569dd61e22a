import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { EXIT, UsageError } from '../errors.ts';
import { safeText } from '../safe-text.ts';
import type { Translate } from '../i18n/index.ts';
import { EXPECTED_CSP, parseManifest, UnreachableError, verifyWeb, type Difference, type WebManifest } from '../web-verify.ts';

function describe(t: Translate, d: Difference): string {
  switch (d.problem) {
    case 'hash':
      return t('web.differs.hash', { path: d.encoding ? `${d.path} (Content-Encoding: ${d.encoding})` : d.path, got: d.got, expected: d.expected });
    case 'status':
      return t('web.differs.status', { path: d.path, status: d.status });
    case 'csp':
      return t('web.differs.csp', { path: d.path, got: d.got, expected: EXPECTED_CSP });
    case 'root':
      return t('web.differs.root');
    case 'manifest':
      return t('web.differs.manifest', { detail: d.detail });
  }
}

async function trustedManifest(t: Translate, file: string | undefined): Promise<WebManifest | undefined> {
  if (file === undefined) return undefined;
  try {
    return parseManifest(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(t('web.badManifest', { file, detail: (err as Error).message }));
  }
}

function serverUrl(t: Translate, url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return `${parsed.origin}${parsed.pathname}`;
  } catch {
    // reported below
  }
  throw new UsageError(t('web.badUrl', { url }));
}

function fail(line: string, code: number): void {
  process.stderr.write(`tvault: ${safeText(line)}\n`);
  process.exitCode = code;
}

export function webCommands(program: Command, ctx: () => Context, t: Translate): void {
  program
    .command('verify-web <url>')
    .description(t('help.check-that-a-server-serves-the-web-client'))
    .option('--manifest <file>', t('help.a-web-manifest-json-from-a-build-your-org'))
    .action(async (url: string, opts: { manifest?: string }) => {
      const c = ctx();
      const origin = serverUrl(c.t, url);
      const trusted = await trustedManifest(c.t, opts.manifest);
      let report;
      try {
        report = await verifyWeb(origin, trusted);
      } catch (err) {
        if (err instanceof UnreachableError) return fail(c.t('web.unreachable', { url: origin, detail: err.message }), EXIT.unreachable);
        throw err;
      }
      if (c.options.json) c.printJson({ url: origin, trusted: trusted !== undefined, ...report });
      else for (const d of report.differences) c.print(describe(c.t, d));
      if (report.differences.length > 0) return fail(c.t('web.failed', { count: report.differences.length }), EXIT.integrity);
      if (!c.options.json) c.print(c.t(trusted ? 'web.ok.trusted' : 'web.ok.served', { url: origin, count: report.files, file: opts.manifest ?? '' }));
    });
}
