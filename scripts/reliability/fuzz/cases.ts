import fc from 'fast-check';
import { bodyFor, replayedBody, validBody, type BodyCase, type Filler } from './body.ts';
import { routeName, type Operation } from './openapi.ts';
import { rawRequest, type RawBytes } from './raw.ts';
import { brokenAuth, brokenHeaders } from './headers.ts';
import { brokenQuery, validQuery } from './query.ts';
import { valid, type Named, type Pools } from './values.ts';

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
  /** Teams it is a member of, their cases and team records (path ids of /v1/teams/…). */
  teams: string[];
  cases: string[];
  teamRecords: string[];
  /** JSON requests its client library sent while seeding (none to /v1/auth/), replayed and mutated. */
  sent: SentRequest[];
}

export interface SentRequest {
  method: string;
  path: string;
  body: unknown;
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
  if (!p) poolsOf.set(target, (p = { uuids: a.flatMap((x) => [x.accountId, ...x.records, ...x.files, ...x.uploads, ...x.teams, ...x.cases, ...x.teamRecords]), handles: a.map((x) => x.handle) }));
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
  if (op.path.startsWith('/v1/teams/')) {
    if (name === 'id') return me.teams;
    if (name === 'caseId') return me.cases;
    if (name === 'recordId') return me.teamRecords;
  }
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
  const others = target.accounts.filter((a) => a !== me).flatMap((a) => [...a.records, ...a.files, ...a.uploads, ...a.teams.filter((x) => !me.teams.includes(x))]);
  const hostile = fc.oneof(
    { arbitrary: fc.constantFrom(...PATH_VALUES), weight: 6 },
    { arbitrary: fc.uuid().map((u): Named => ['path:unknown-uuid', u]), weight: 2 },
    ...(others.length ? [{ arbitrary: fc.constantFrom(...others).map((u): Named => ['path:other-account', u]), weight: 2 }] : []),
  );
  return fc
    .tuple(fc.constantFrom(...op.pathParams), hostile, paramValues(op, me, target))
    .map(([param, [kind, value], values]) => [kind, pathWith(op, { ...values, [param.name]: String(value) })]);
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
    { arbitrary: brokenQuery(op, pools(target)).map(([kind, query]) => ({ kind, query })), weight: op.query.length ? 12 : 4 },
    { arbitrary: brokenHeaders(op, target.strides).map(([kind, headers]) => ({ kind, headers })), weight: 8 },
    { arbitrary: brokenAuth(me.token).map(([kind, auth]) => ({ kind, auth })), weight: op.secured ? 8 : 2 },
    { arbitrary: otherMethod(op, all).map((method) => ({ kind: `method:${method}`, method })), weight: 3 },
    { arbitrary: fc.constant<Draft>({ kind: 'raw', raw: true }), weight: 5 },
    { arbitrary: brokenPath(op, me, target).map(([kind, path]) => ({ kind, path })), weight: op.pathParams.length ? 25 : 4 },
  ];
  // Real signed bodies get past the signature checks that made-up ones stop at.
  // The document writes a prefix's root with a trailing slash (/v1/records/), the client without.
  const pattern = new RegExp(`^${op.path.replace(/\{\w+\}/g, '[^/]+').replace(/\/$/, '')}/?$`);
  const sent = me.sent.filter((r) => r.method === op.method && pattern.test(r.path));
  if (op.body && sent.length) {
    const schema = op.body;
    const replay = fc.constantFrom(...sent).chain((r) => replayedBody(schema, r.body).map((body): Draft => ({ kind: `replay:${body.kind}`, path: r.path, body })));
    choices.push({ arbitrary: replay, weight: 30 });
  }
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
    const parts = fc.tuple(drafts(op, all, me, target), validPath(op, me, target), validQuery(op, pools(target)), baselineBody(op, target));
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
