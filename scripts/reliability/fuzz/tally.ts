import type { FuzzCase } from './cases.ts';
import type { Answer, NoAnswer } from './send.ts';

// The figures of a run. A finding names the method, the route pattern, the mutation and
// the answer's status and code: never a URL (it holds ids), a header or a body.

export interface Finding {
  route: string;
  kind: string;
  method: string;
  status: number;
  code: string;
  count: number;
}

const ERROR_CODE = /^VAULT_ERR_[A-Z_]+$/;
// A frame of a Node stack trace, a source location, or Node's internals.
const STACK = /\n\s+at\s|\bat [\w$.<>]+ \(.*:\d+:\d+\)|node:internal|\.[cm]?[jt]s:\d+:\d+/;

function errorShape(a: Answer): { code: string; ok: boolean } {
  try {
    const body = JSON.parse(a.body) as unknown;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return { code: '(not an object)', ok: false };
    const { statusCode, code, message, ...rest } = body as Record<string, unknown>;
    const named = typeof code === 'string' ? code : '(no code)';
    const ok = statusCode === a.status && typeof code === 'string' && ERROR_CODE.test(code) && typeof message === 'string' && Object.keys(rest).length === 0;
    return { code: named, ok: ok && a.contentType.startsWith('application/json') };
  } catch {
    return { code: '(not JSON)', ok: false };
  }
}

export class Tally {
  sent = 0;
  readonly byClass = new Map<string, number>();
  readonly byCode = new Map<string, number>();
  readonly noAnswer = new Map<string, number>();
  /** Requests by mutation kind. */
  readonly kinds = new Map<string, number>();
  /** Answers by route and status class. */
  readonly routes = new Map<string, Map<string, number>>();
  readonly serverErrors = new Map<string, Finding>();
  readonly badShapes = new Map<string, Finding>();
  readonly stackTraces = new Map<string, Finding>();

  add(c: FuzzCase, a: Answer | NoAnswer): void {
    this.sent += 1;
    bump(this.kinds, c.kind);
    if ('reason' in a) {
      bump(this.byClass, 'no answer');
      bump(this.noAnswer, `${a.reason}: ${c.kind}`);
      return;
    }
    const cls = `${Math.floor(a.status / 100)}xx`;
    bump(this.byClass, cls);
    const r = this.routes.get(c.route) ?? new Map<string, number>();
    this.routes.set(c.route, r);
    bump(r, cls);
    let code = '';
    if (a.status >= 400) {
      // A HEAD answer has no body to judge.
      const shape = c.method === 'HEAD' ? { code: '(HEAD)', ok: true } : errorShape(a);
      code = shape.code;
      bump(this.byCode, `${a.status} ${code}`);
      if (!shape.ok) note(this.badShapes, c, a.status, code);
    }
    if (a.status >= 500) note(this.serverErrors, c, a.status, code);
    if (STACK.test(a.body)) note(this.stackTraces, c, a.status, code);
  }

  count(cls: string): number {
    return this.byClass.get(cls) ?? 0;
  }

  /** True when nothing failed: no 5xx, every error in the documented shape, no stack trace. */
  get clean(): boolean {
    return this.serverErrors.size === 0 && this.badShapes.size === 0 && this.stackTraces.size === 0;
  }
}

function bump(m: Map<string, number>, key: string) {
  m.set(key, (m.get(key) ?? 0) + 1);
}

function note(m: Map<string, Finding>, c: FuzzCase, status: number, code: string) {
  const key = `${c.method} ${c.route} ${c.kind} ${status} ${code}`;
  const f = m.get(key);
  if (f) f.count += 1;
  else m.set(key, { route: c.route, kind: c.kind, method: c.method, status, code, count: 1 });
}

/** The findings as markdown table rows (at most `max`), one per mutation, status and code. */
export function findingRows(m: Map<string, Finding>, max = 40): string[] {
  const merged = new Map<string, Finding & { routes: Set<string> }>();
  for (const f of m.values()) {
    const key = `${f.kind} ${f.status} ${f.code}`;
    const g = merged.get(key) ?? { ...f, count: 0, routes: new Set<string>() };
    g.count += f.count;
    g.routes.add(`${f.method} ${f.route}`);
    merged.set(key, g);
  }
  const rows = [...merged.values()].sort((a, b) => b.count - a.count);
  const out = ['| route | mutation | status | code | times |', '| --- | --- | ---: | --- | ---: |'];
  for (const f of rows.slice(0, max)) {
    const route = f.routes.size === 1 ? `\`${[...f.routes][0]}\`` : `${f.routes.size} routes`;
    out.push(`| ${route} | ${f.kind} | ${f.status} | ${f.code} | ${f.count} |`);
  }
  if (rows.length > max) out.push(`| … | ${rows.length - max} more | | | |`);
  return out;
}
