import fc from 'fast-check';
import type { Schema } from './openapi.ts';

// Values for one schema: valid ones (the starting point of every body, so that a single
// mutation reaches the check behind the schema) and broken ones, each named by its kind.

/** Ids and handles of the seeded data, so valid-looking values also name real things. */
export interface Pools {
  uuids: string[];
  handles: string[];
}

/** JSON text put into a body as it is (numbers JSON.stringify cannot write, NaN, …). */
export class RawJson {
  constructor(readonly text: string) {}
}

export type Named = [kind: string, value: unknown];

const B64 = '^[A-Za-z0-9_-]*$';
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const typeOf = (s: Schema) => (Array.isArray(s.type) ? s.type[0] : s.type);
const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);

// Arbitraries are built once per schema (and pools): building them is what costs, not drawing.
const validMemo = new WeakMap<Pools, WeakMap<Schema, fc.Arbitrary<unknown>>>();
const brokenMemo = new WeakMap<Schema, fc.Arbitrary<Named>>();

export function valid(schema: Schema, pools: Pools): fc.Arbitrary<unknown> {
  let memo = validMemo.get(pools);
  if (!memo) validMemo.set(pools, (memo = new WeakMap()));
  let arb = memo.get(schema);
  if (!arb) memo.set(schema, (arb = validUncached(schema, pools)));
  return arb;
}

function validUncached(schema: Schema, pools: Pools): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return pick(schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => valid(s, pools)));
  if (schema.nullable) return fc.oneof(valid({ ...schema, nullable: false }, pools), fc.constant(null));
  switch (typeOf(schema)) {
    case 'object': {
      const props = schema.properties ?? {};
      const shapes = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valid(v, pools)]));
      return fc.record(shapes, { requiredKeys: (schema.required ?? []).filter((k) => k in props) });
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      return fc.array(valid(schema.items ?? {}, pools), { minLength: min, maxLength: Math.max(min, Math.min(schema.maxItems ?? 3, 3)) });
    }
    case 'integer': {
      const min = Math.max(schema.minimum ?? -(2 ** 31), Number.MIN_SAFE_INTEGER);
      const max = Math.min(schema.maximum ?? 2 ** 31, Number.MAX_SAFE_INTEGER);
      // Small values often: versions and key versions a request must get exactly right.
      return fc.oneof(pick([min, max]), fc.integer({ min, max: Math.min(max, min + 3) }), fc.integer({ min, max: Math.min(max, min + 1000) }), fc.integer({ min, max }));
    }
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, ...(schema.minimum === undefined ? {} : { min: schema.minimum }), ...(schema.maximum === undefined ? {} : { max: schema.maximum }) });
    case 'boolean':
      return fc.boolean();
    case 'string':
      return validString(schema, pools);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function validString(schema: Schema, pools: Pools): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return pools.uuids.length ? fc.oneof(fc.uuid(), pick(pools.uuids)) : fc.uuid();
  if (schema.format === 'date-time') return fc.date({ min: new Date(0), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.pattern === B64) {
    // base64url of a byte length the schema admits: exact, or bounded (kept small).
    const max = schema.maxLength ?? 64;
    const exact = schema.minLength === schema.maxLength;
    const bytes = Math.floor((max * 3) / 4);
    const least = Math.min(bytes, Math.max(1, Math.ceil(((schema.minLength ?? 0) * 3) / 4)));
    // Kept small, but never below the least the schema admits (one of two lengths, 137 or 169 bytes, say).
    return fc.uint8Array({ minLength: exact ? bytes : least, maxLength: exact ? bytes : Math.max(least, Math.min(bytes, 96)) }).map(b64url);
  }
  const cap = (s: string) => s.slice(0, Math.min(schema.maxLength ?? 64, 64));
  if (schema.pattern?.startsWith('^[a-z0-9]') && pools.handles.length) return fc.oneof(fc.stringMatching(new RegExp(schema.pattern)).map(cap), pick(pools.handles));
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).map(cap);
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
}

// [Note: hostile values]
// Each kind is a way a value crosses a boundary the server must hold: JSON number edges
// (beyond 2^53, beyond PostgreSQL's int4 and bigint, fractions, -0, literals JSON.parse
// turns into Infinity), text PostgreSQL refuses (NUL, lone surrogates), text people misread
// (bidi overrides), names that escape a folder, and base64 that decodes but is not canonical.
const NUMBERS: Named[] = [
  ['number:negative', -1], ['number:zero', 0], ['number:negative-zero', new RawJson('-0')], ['number:fraction', 1.5],
  ['number:int4+1', 2 ** 31], ['number:int8+1', new RawJson('9223372036854775808')], ['number:2^53+2', 2 ** 53 + 2],
  ['number:huge', 1e308], ['number:-huge', -1e308], ['number:tiny', 5e-324], ['number:overflow-literal', new RawJson('1e999')],
  ['number:400-digits', new RawJson('9'.repeat(400))], ['number:NaN', new RawJson('NaN')], ['number:Infinity', new RawJson('Infinity')],
  ['number:hex', new RawJson('0x10')], ['number:leading-zero', new RawJson('01')], ['number:as-string', '12'], ['number:exponent', 1e21],
];

const STRINGS: Named[] = [
  ['string:empty', ''], ['string:NUL', 'a\u0000b'], ['string:control', '\u001b[31mred\u0007'], ['string:bidi', 'evil\u202etxt.exe'],
  ['string:lone-surrogate', 'x\ud800y'], ['string:line-separator', 'a\u2028b'], ['string:traversal', '../../../../etc/passwd'],
  ['string:traversal-windows', '..\\..\\..\\windows\\win.ini'], ['string:encoded-traversal', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ['string:percent-nul', 'file%00.txt'], ['string:sql', "x' or '1'='1"], ['string:html', '<script>alert(1)</script>'],
  ['string:template', '${constructor.constructor("return process")()}'], ['string:proto', '__proto__'], ['string:emoji', '📱'.repeat(40)],
  ['string:whitespace', ' \t\n '], ['string:overlong', 'a'.repeat(70_000)], ['string:overlong-unicode', 'é'.repeat(5_000)],
];

const DATES: Named[] = [
  ['date:invalid-month', '2026-13-45T00:00:00Z'], ['date:year-0', '0000-01-01T00:00:00Z'], ['date:far-future', '9999-12-31T23:59:59Z'],
  ['date:beyond-js', '+275760-09-13T00:00:00.001Z'], ['date:before-1970', '1969-12-31T23:59:59Z'], ['date:leap-second', '2016-12-31T23:59:60Z'],
  ['date:offset', '2026-01-01T00:00:00+14:00'], ['date:no-zone', '2026-01-01T00:00:00'], ['date:feb-30', '2026-02-30T12:00:00Z'],
  ['date:lower-case', '2026-01-01t00:00:00z'], ['date:only-date', '2026-01-01'], ['date:huge-fraction', `2026-01-01T00:00:00.${'9'.repeat(200)}Z`],
];

const UUIDS: Named[] = [
  ['uuid:upper-case', 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE'], ['uuid:nil', '00000000-0000-0000-0000-000000000000'],
  ['uuid:max', 'ffffffff-ffff-ffff-ffff-ffffffffffff'], ['uuid:no-dashes', '0123456789abcdef0123456789abcdef'],
  ['uuid:braces', '{01234567-89ab-4cde-8f01-23456789abcd}'], ['uuid:not-hex', 'zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz'],
  ['uuid:newline', '01234567-89ab-4cde-8f01-23456789abcd\n'],
];

function brokenBase64(schema: Schema): fc.Arbitrary<Named> {
  const len = schema.maxLength ?? 43;
  const canonical = fc.uint8Array({ minLength: Math.floor((len * 3) / 4), maxLength: Math.floor((len * 3) / 4) }).map(b64url);
  // Decodes to the right size, but its last character carries bits the bytes do not have
  // (only text whose length is not a multiple of 4 has such bits).
  const stray = len % 4 === 0 ? [] : [canonical.map((s): Named => ['base64:non-canonical', s.slice(0, -1) + (s.endsWith('B') ? 'C' : 'B')])];
  return fc.oneof(
    ...stray,
    canonical.map((s): Named => ['base64:standard-alphabet', `+/${s.slice(2)}`]),
    canonical.map((s): Named => ['base64:padded', `${s}==`]),
    canonical.map((s): Named => ['base64:one-short', s.slice(0, -1)]),
    canonical.map((s): Named => ['base64:one-long', `${s}A`]),
    canonical.map((s): Named => ['base64:inner-space', `${s.slice(0, 4)} ${s.slice(5)}`]),
    fc.constant<Named>(['base64:empty', '']),
    fc.constant<Named>(['base64:huge', 'A'.repeat(200_000)]),
  );
}

/** A value the schema does not admit, or admits but the layers behind it might not. */
export function broken(schema: Schema): fc.Arbitrary<Named> {
  let arb = brokenMemo.get(schema);
  if (!arb) brokenMemo.set(schema, (arb = brokenUncached(schema)));
  return arb;
}

function brokenUncached(schema: Schema): fc.Arbitrary<Named> {
  const type = typeOf(schema);
  const wrongType = pick<Named>([
    ['type:null', null], ['type:boolean', true], ['type:array', [1, 'a']], ['type:object', { a: 1 }], ['type:string', 'x'], ['type:number', 42],
  ]).filter(([kind]) => kind !== `type:${type}`);
  const kinds: fc.Arbitrary<Named>[] = [wrongType];
  if (type === 'integer' || type === 'number') kinds.push(pick(NUMBERS), edgeNumbers(schema));
  if (type === 'string') {
    kinds.push(pick(STRINGS));
    if (schema.pattern === B64) kinds.push(brokenBase64(schema), schema.minLength === schema.maxLength ? brokenBase64(schema) : encodedHostile());
    if (schema.format === 'date-time') kinds.push(pick(DATES), pick(DATES));
    if (schema.format === 'uuid') kinds.push(pick(UUIDS));
    if (schema.maxLength !== undefined) kinds.push(fc.constant<Named>(['string:max-length+1', 'a'.repeat(schema.maxLength + 1)]));
  }
  if (type === 'array') {
    kinds.push(fc.constant<Named>(['array:empty', []]));
    // As many items as allowed, all the same (duplicates the database may refuse).
    if (schema.maxItems !== undefined && schema.maxItems <= 10_000) {
      const max = schema.maxItems;
      kinds.push(valid(schema.items ?? {}, NO_POOLS).map((item): Named => ['array:max-items-alike', Array.from({ length: max }, () => item)]));
    }
    kinds.push(fc.constant<Named>(['array:too-many', Array.from({ length: (schema.maxItems ?? 1000) + 1 }, () => ({}))]));
    kinds.push(broken(schema.items ?? {}).map(([k, v]): Named => [`array:item-${k}`, [v]]));
  }
  if (type === 'object') kinds.push(fc.constant<Named>(['object:empty', {}]), fc.constant<Named>(['object:proto', new RawJson('{"__proto__":{"isAdmin":true}}')]));
  return fc.oneof(...kinds);
}

const NO_POOLS: Pools = { uuids: [], handles: [] };

/** Opaque tokens (cursors, invite codes) that decode to hostile text, or to a cursor's shape with edge values. */
function encodedHostile(): fc.Arbitrary<Named> {
  const encode = (text: string) => Buffer.from(text).toString('base64url');
  const cursors = ['0', '999999999999999', '8640000000000001', '-1', '1.5'].map((ms): Named => [`token:cursor-${ms}`, encode(`${ms}.00000000-0000-4000-8000-000000000000`)]);
  return fc.constantFrom(...cursors, ...STRINGS.filter(([, v]) => typeof v === 'string' && v.length < 1000).map(([k, v]): Named => [`token:${k}`, encode(String(v))]));
}

function edgeNumbers(schema: Schema): fc.Arbitrary<Named> {
  const edges: Named[] = [];
  if (schema.minimum !== undefined) edges.push(['number:minimum-1', schema.minimum - 1], ['number:minimum-0.5', schema.minimum - 0.5]);
  if (schema.maximum !== undefined) edges.push(['number:maximum+1', schema.maximum + 1], ['number:maximum+0.5', schema.maximum + 0.5]);
  return edges.length ? pick(edges) : pick(NUMBERS);
}

/** JSON text of a value that may hold RawJson pieces. */
export function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
