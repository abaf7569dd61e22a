import fc from 'fast-check';
import { bodyFor, validBody, type BodyCase, type Filler } from './body.ts';
import { routeName, type Operation } from './openapi.ts';
import { rawRequest, type RawBytes } from './raw.ts';
import { broken, toJson, valid, type Named, type Pools } from './values.ts';

// [Note: one broken thing per request]
// Each request breaks one thing (a path parameter, the querystring, one field of the body,
// the body's bytes, a header, the session, the method or the HTTP framing) and keeps the
// rest valid: own ids, a live session, a body of the right shape. So a request gets past
// every check but the one under test, and a 5xx names the mutation that caused it.

/** An account seeded before the run, and what it owns. */
export interface SeededAccount {
  handle: string;
  accountId: string;
  /** A live session token. Never printed. */
  token: string;
  records: string[];
  /** Records others shared with it. */
  readable: string[];
  files: string[];
  /** Its uploads in progress. */
  uploads: string[];
}

export interface FuzzTarget {
  accounts: SeededAccount[];
  /** Encrypted chunk strides of the seeded uploads (part sizes are made around them). */
  strides: number[];
}

export interface FuzzCase {
  /** Method and path pattern, for the report. */
  route: string;
  /** What was broken. */
  kind: string;
  method: string;
  /** Path and querystring, as sent. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer | Filler;
  /** A whole request written to the socket as it is (broken HTTP framing). */
  raw?: RawBytes;
}

// Requests that would end the run's own sessions or destroy seeded data with nothing but
// a session (no signature): never sent with a live session naming the caller's own things.
const ENDS_SESSION = new Set(['POST /v1/auth/logout']);
const destroysWithoutProof = (op: Operation) => op.method === 'DELETE' && op.path !== '/v1/records/{id}';

const PATH_VALUES: Named[] = [
  ['path:traversal-encoded', '..%2F..%2F..%2Fetc%2Fpasswd'], ['path:traversal', '../..'], ['path:dot-dot-encoded', '%2e%2e'],
  ['path:backslash', '..%5C..%5Cwindows'], ['path:nul', '%00'], ['path:nul-suffix', '0123%00.json'], ['path:overlong', 'a'.repeat(5000)],
  ['path:router-limit+1', 'a'.repeat(101)], ['path:bad-percent', '%E0%A4%A'], ['path:lone-percent', '%'], ['path:invalid-utf8', '%FF%FE'],
  ['path:overlong-utf8-dot', '%C0%AE%C0%AE'], ['path:unicode', '%C3%A9t%C3%A9'], ['path:empty', ''], ['path:space', '%20'],
  ['path:semicolon', 'x;y=1'], ['path:encoded-query', 'x%3Fa%3D1'], ['path:encoded-hash', 'x%23y'], ['path:negative', '-1'],
  ['path:1e309', '1e309'], ['path:20-digits', '99999999999999999999'], ['path:fraction', '1.5'], ['path:hex', '0x10'], ['path:NaN', 'NaN'],
  ['path:Infinity', 'Infinity'], ['path:uuid-upper-case', 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE'], ['path:uuid-nil', '00000000-0000-0000-0000-000000000000'],
];
const PATH_SUFFIXES: Named[] = [
  ['path:trailing-slash', '/'], ['path:double-slash', '//'], ['path:dot-segment', '/..'], ['path:encoded-dot-segment', '/%2e%2e/%2e%2e'],
  ['path:extra-segment', '/extra'], ['path:matrix', ';jsessionid=1'], ['path:nul-segment', '/%00'],
];

const poolsOf = new WeakMap<FuzzTarget, Pools>();
function pools(target: FuzzTarget): Pools {
  const a = target.accounts;
  let p = poolsOf.get(target);
  if (!p) poolsOf.set(target, (p = { uuids: a.flatMap((x) => [x.accountId, ...x.records, ...x.files, ...x.uploads]), handles: a.map((x) => x.handle) }));
  return p;
}

/** Values of a path parameter that name the caller's own things (what a valid request sends). */
function ownValues(op: Operation, name: string, me: SeededAccount, target: FuzzTarget): string[] {
  const others = target.accounts.filter((a) => a !== me);
  if (name === 'handle') return others.map((a) => a.handle);
  if (name === 'part') return ['0', '1', '2'];
  if (destroysWithoutProof(op)) return name === 'fileId' ? others.flatMap((a) => a.uploads) : others.flatMap((a) => a.records);
  // Parts and completion go to uploads in progress (a complete file refuses them early).
  if (name === 'fileId') return /\/(parts|complete)/.test(op.path) && me.uploads.length ? me.uploads : [...me.files, ...me.uploads];
  if (name === 'id' && op.path.startsWith('/v1/records/')) return [...me.records, ...me.readable];
  return [];
}

function validParam(op: Operation, name: string, me: SeededAccount, target: FuzzTarget): fc.Arbitrary<string> {
  const own = ownValues(op, name, me, target);
  if (own.length) return fc.constantFrom(...own);
  const p = op.pathParams.find((x) => x.name === name);
  return valid(p?.schema ?? { type: 'string' }, pools(target)).map(String);
}

function pathWith(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
}

function paramValues(op: Operation, me: SeededAccount, target: FuzzTarget): fc.Arbitrary<Record<string, string>> {
  return fc.record(Object.fromEntries(op.pathParams.map((p) => [p.name, validParam(op, p.name, me, target).map(encodeURIComponent)])));
}

const validPath = (op: Operation, me: SeededAccount, target: FuzzTarget) => paramValues(op, me, target).map((values) => pathWith(op, values));

/** One path parameter replaced by a hostile value; the others keep naming the caller's own things. */
function brokenPath(op: Operation, me: SeededAccount, target: FuzzTarget): fc.Arbitrary<[string, string]> {
  if (op.pathParams.length === 0) return fc.constantFrom(...PATH_SUFFIXES).map(([kind, suffix]) => [kind, op.path + suffix]);
  const others = target.accounts.filter((a) => a !== me).flatMap((a) => [...a.records, ...a.files, ...a.uploads]);
  const hostile = fc.oneof(
    { arbitrary: fc.constantFrom(...PATH_VALUES), weight: 6 },
    { arbitrary: fc.uuid().map((u): Named => ['path:unknown-uuid', u]), weight: 2 },
    ...(others.length ? [{ arbitrary: fc.constantFrom(...others).map((u): Named => ['path:other-account', u]), weight: 2 }] : []),
  );
  return fc
    .tuple(fc.constantFrom(...op.pathParams), hostile, paramValues(op, me, target))
    .map(([param, [kind, value], values]) => [kind, pathWith(op, { ...values, [param.name]: String(value) })]);
}

/** Required parameters, and each optional one a third of the time (an opaque cursor made up is refused). */
function validQuery(op: Operation, target: FuzzTarget): fc.Arbitrary<string> {
  if (op.query.length === 0) return fc.constant('');
  const each = op.query.map((p) => {
    const value = valid(p.schema, pools(target)).map((v): [string, string] => [p.name, String(v)]);
    return p.required ? value : fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, { arbitrary: value, weight: 1 });
  });
  return fc.tuple(...each).map((pairs) => new URLSearchParams(pairs.filter((x) => x !== null)).toString());
}

function brokenQuery(op: Operation, target: FuzzTarget): fc.Arbitrary<[string, string]> {
  const names = op.query.length ? op.query.map((p) => p.name) : ['limit'];
  const one = fc.constantFrom(...names);
  const declared = op.query.length
    ? fc.tuple(fc.constantFrom(...op.query), validQuery(op, target)).chain(([p, rest]) =>
        broken(p.schema).map(([kind, v]): [string, string] => {
          const q = new URLSearchParams(rest);
          q.set(p.name, typeof v === 'string' ? v : toJson(v));
          return [`query:${kind}`, q.toString()];
        }),
      )
    : one.map((n): [string, string] => ['query:undeclared', `${n}=1`]);
  return fc.oneof(
    { arbitrary: declared, weight: 4 },
    one.map((n): [string, string] => ['query:repeated', `${n}=1&${n}=2`]),
    one.map((n): [string, string] => ['query:array-syntax', `${n}[]=1&${n}[]=2`]),
    one.map((n): [string, string] => ['query:bad-percent', `${n}=%E0%A4%A`]),
    one.map((n): [string, string] => ['query:long', `${n}=${'9'.repeat(8000)}`]),
    one.map((n): [string, string] => ['query:empty-value', `${n}=`]),
    one.map((n): [string, string] => ['query:no-value', n]),
    fc.constant<[string, string]>(['query:extra', 'isAdmin=true']),
    fc.constant<[string, string]>(['query:proto', '__proto__[isAdmin]=true&constructor[prototype][x]=1']),
    fc.constant<[string, string]>(['query:many', Array.from({ length: 1500 }, (_, i) => `p${i}=1`).join('&')]),
  );
}

const RANGES = ['bytes=0-', 'bytes=-5', 'bytes=0-0', 'bytes=0-1,2-3', 'bytes=99999999999999999999-', 'bytes=1-', 'bytes=65553-', 'items=0-', 'bytes=', 'bytes=0--1'];

function brokenHeaders(op: Operation): fc.Arbitrary<[string, Record<string, string>]> {
  const kinds: fc.Arbitrary<[string, Record<string, string>]>[] = [
    fc.constantFrom(20_000, 70_000).map((n): [string, Record<string, string>] => [`header:huge-${n}`, { 'x-fuzz': 'a'.repeat(n) }]),
    fc.constant<[string, Record<string, string>]>(['header:near-limit', { 'x-fuzz': 'a'.repeat(12_000) }]),
    fc.constant<[string, Record<string, string>]>(['header:many', Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x-f${i}`, '1']))]),
    fc.constantFrom('application/xml', '*/*;q=abc', 'text/html, */*;q=0').map((v): [string, Record<string, string>] => ['header:accept', { accept: v }]),
    fc.constantFrom('gzip', 'br', 'x-unknown').map((v): [string, Record<string, string>] => ['header:content-encoding', { 'content-encoding': v }]),
    fc.constantFrom('100-continue', 'nonsense').map((v): [string, Record<string, string>] => [`header:expect-${v}`, { expect: v }]),
    fc.constantFrom('1.2.3.4, ::1', 'garbage', '999.999.999.999').map((v): [string, Record<string, string>] => ['header:x-forwarded-for', { 'x-forwarded-for': v }]),
    fc.constant<[string, Record<string, string>]>(['header:cookie-huge', { cookie: `s=${'a'.repeat(15_000)}` }]),
  ];
  if (op.method === 'GET' && op.path.startsWith('/v1/files/{fileId}')) kinds.push(fc.constantFrom(...RANGES).map((r): [string, Record<string, string>] => ['header:range', { range: r }]));
  return fc.oneof(...kinds);
}

/** Authorization values that are not a live session (the token itself is never printed). */
function brokenAuth(me: SeededAccount): fc.Arbitrary<[string, Record<string, string>]> {
  const t = me.token;
  const values: Named[] = [
    ['auth:none', ''], ['auth:empty-bearer', 'Bearer '], ['auth:basic', 'Basic YWRtaW46YWRtaW4='], ['auth:lower-case-scheme', `bearer ${t}`],
    ['auth:token-plus-char', `Bearer ${t}x`], ['auth:token-minus-char', `Bearer ${t.slice(0, -1)}`], ['auth:unknown-token', `Bearer ${'A'.repeat(43)}`],
    ['auth:two-tokens', `Bearer ${t} ${t}`], ['auth:traversal', 'Bearer ../../../etc/passwd'], ['auth:huge', `Bearer ${'A'.repeat(10_000)}`],
    ['auth:percent-nul', 'Bearer %00'], ['auth:padded-token', `Bearer ${t}=`],
  ];
  return fc.constantFrom(...values).map(([kind, v]) => [kind, v ? { authorization: String(v) } : {}]);
}

function otherMethod(op: Operation, all: Operation[]): fc.Arbitrary<string> {
  const taken = new Set(all.filter((o) => o.path === op.path).map((o) => o.method));
  return fc.constantFrom(...['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND'].filter((m) => !taken.has(m)));
}

interface Draft {
  kind: string;
  method?: string;
  path?: string;
  query?: string;
  headers?: Record<string, string>;
  auth?: Record<string, string>;
  body?: BodyCase;
  raw?: true;
}

function drafts(op: Operation, all: Operation[], me: SeededAccount, target: FuzzTarget): fc.Arbitrary<Draft> {
  const carriesBody = op.body !== undefined || op.method === 'POST' || op.method === 'PUT';
  const choices: fc.WeightedArbitrary<Draft>[] = [
    { arbitrary: brokenQuery(op, target).map(([kind, query]) => ({ kind, query })), weight: op.query.length ? 12 : 4 },
    { arbitrary: brokenHeaders(op).map(([kind, headers]) => ({ kind, headers })), weight: 8 },
    { arbitrary: brokenAuth(me).map(([kind, auth]) => ({ kind, auth })), weight: op.secured ? 8 : 2 },
    { arbitrary: otherMethod(op, all).map((method) => ({ kind: `method:${method}`, method })), weight: 3 },
    { arbitrary: fc.constant<Draft>({ kind: 'raw', raw: true }), weight: 5 },
    { arbitrary: brokenPath(op, me, target).map(([kind, path]) => ({ kind, path })), weight: op.pathParams.length ? 25 : 4 },
  ];
  if (carriesBody) choices.push({ arbitrary: bodyFor(op, pools(target), target.strides).map((body) => ({ kind: body.kind, body })), weight: 40 });
  else choices.push({ arbitrary: bodyFor({ ...op, body: undefined }, pools(target), target.strides).map((body) => ({ kind: `unexpected-${body.kind}`, body })), weight: 3 });
  return fc.oneof(...choices);
}

/** The body a valid request carries: JSON of the route's schema, or whole chunks for a part upload. */
function baselineBody(op: Operation, target: FuzzTarget): fc.Arbitrary<BodyCase | undefined> {
  if (op.body) return validBody(op.body, pools(target));
  if (op.method !== 'PUT') return fc.constant(undefined);
  return fc.constantFrom(...target.strides).map((size): BodyCase => ({ kind: 'octet:one-chunk', contentType: 'application/octet-stream', body: { prefix: '', size, fill: '\u0001' } }));
}

/** One request against `op`, with one thing broken. The arbitraries are built once per account. */
function caseFor(op: Operation, all: Operation[], target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const route = routeName(op);
  const perAccount = target.accounts.map((me) => {
    const session = op.secured && !ENDS_SESSION.has(route) ? { authorization: `Bearer ${me.token}` } : {};
    const parts = fc.tuple(drafts(op, all, me, target), validPath(op, me, target), validQuery(op, target), baselineBody(op, target));
    return parts.chain(([d, path, query, body]) => {
      const b = d.body ?? body;
      const headers: Record<string, string> = { ...(d.auth ?? session), ...(b?.contentType ? { 'content-type': b.contentType } : {}), ...d.headers };
      const method = d.method ?? op.method;
      const q = d.query ?? query;
      const url = (d.path ?? path) + (q ? `?${q}` : '');
      if (d.raw) return rawRequest(method, url, headers).map(([kind, raw]): FuzzCase => ({ route, kind, method, path: url, headers, raw }));
      return fc.constant<FuzzCase>({ route, kind: d.kind, method, path: url, headers, ...(b ? { body: b.body } : {}) });
    });
  });
  return fc.oneof(...perAccount);
}

/** Every operation of the document, equally often, each request with one thing broken. */
export function fuzzCases(ops: Operation[], target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc.oneof(...ops.map((op) => caseFor(op, ops, target)));
}

/**
 * `count` cases, reproducible from `seed`, made a batch at a time so that memory stays
 * small whatever the count (each batch has its own seed derived from `seed`).
 */
export function* generate(ops: Operation[], target: FuzzTarget, seed: number, count: number, batch = 250): Generator<FuzzCase> {
  const arb = fuzzCases(ops, target);
  for (let made = 0, b = 0; made < count; b++) {
    const n = Math.min(batch, count - made);
    for (const c of fc.sample(arb, { seed: (seed ^ Math.imul(b + 1, 0x9e3779b1)) | 0, numRuns: n })) yield c;
    made += n;
  }
}
