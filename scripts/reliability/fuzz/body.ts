import fc from 'fast-check';
import { CHUNK_OVERHEAD, MAX_PART_CHUNKS, MAX_PART_PLAINTEXT } from '@testimony-vault/protocol';
import type { Operation, Schema } from './openapi.ts';
import { broken, RawJson, toJson, valid, type Pools } from './values.ts';

// Request bodies: a valid body from the route's schema, then one thing broken in it, or
// the bytes around it broken (encoding, framing, size, content type).

/** A body too big to keep for every case: `size` bytes of `fill` after `prefix`, made when sent. */
export interface Filler {
  prefix: string;
  size: number;
  fill: string;
}

export interface BodyCase {
  kind: string;
  contentType: string | undefined;
  body: Buffer | Filler;
}

type Path = (string | number)[];

/** Every place in a schema a value can be broken: properties, array items, and the root. */
function locations(schema: Schema, at: Path = []): { path: Path; schema: Schema; required: boolean }[] {
  const out = [{ path: at, schema, required: true }];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    for (const l of locations(child, [...at, name])) out.push(l.path.length === at.length + 1 ? { ...l, required: schema.required?.includes(name) ?? false } : l);
  }
  if (schema.items) out.push(...locations(schema.items, [...at, 0]));
  return out;
}

function nodeAt(root: unknown, path: Path): Record<string | number, unknown> | undefined {
  let node = root;
  for (const key of path) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node && typeof node === 'object' ? (node as Record<string | number, unknown>) : undefined;
}

const parentOf = (root: unknown, path: Path) => nodeAt(root, path.slice(0, -1));

const json = (text: string, kind: string, contentType = 'application/json'): BodyCase => ({ kind, contentType, body: Buffer.from(text) });

/**
 * Breaks one field of a body drawn from `base` (valid ones, or requests the client library
 * really sent): a hostile value, a missing required field, an unknown field.
 */
export function mutateFields(schema: Schema, base: fc.Arbitrary<unknown>): fc.Arbitrary<BodyCase> {
  const places = locations(schema);
  const body = base.map((b) => structuredClone(b));
  const replaced = fc.tuple(body, fc.constantFrom(...places)).chain(([b, place]) =>
    broken(place.schema).map(([kind, value]) => {
      if (place.path.length === 0) return json(toJson(value), `body:root-${kind}`);
      const parent = parentOf(b, place.path);
      if (parent) parent[place.path[place.path.length - 1]!] = value;
      return json(toJson(b), `body:field-${kind}`);
    }),
  );
  const requiredPlaces = places.filter((p) => p.required && p.path.length > 0);
  const missing = fc.tuple(body, fc.constantFrom(...(requiredPlaces.length ? requiredPlaces : places))).map(([b, place]) => {
    const parent = parentOf(b, place.path);
    if (parent && place.path.length > 0) delete parent[place.path[place.path.length - 1]!];
    return json(toJson(b), 'body:missing-field');
  });
  const objects = places.filter((p) => p.schema.type === 'object');
  const extra = fc
    .tuple(body, fc.constantFrom(...(objects.length ? objects : places)), fc.constantFrom('isAdmin', 'constructor', 'owner_id', 'x'.repeat(300), ''))
    .map(([b, place, key]) => {
      const target = nodeAt(b, place.path);
      if (target && !Array.isArray(target)) target[key] = true;
      return json(toJson(b), 'body:extra-field');
    });
  // Keys JSON.parse would turn into the prototype, written as raw text.
  const proto = body.map((b) => json(toJson(b).replace(/^\{/, '{"__proto__":{"isAdmin":true},'), 'body:proto-key'));
  return fc.oneof({ arbitrary: replaced, weight: 6 }, { arbitrary: missing, weight: 2 }, { arbitrary: extra, weight: 2 }, { arbitrary: proto, weight: 1 });
}

/** Breaks the bytes of a valid body: framing, encoding, nesting, size, content type. */
function byteMutation(schema: Schema | undefined, pools: Pools): fc.Arbitrary<BodyCase> {
  const text = schema ? valid(schema, pools).map(toJson) : fc.constant('{}');
  const cut = (s: string, at: number) => s.slice(0, Math.max(1, Math.floor(s.length * at)));
  const INVALID_UTF8 = [[0xff, 0xfe], [0xc0, 0xaf], [0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]];
  return fc.oneof(
    fc.tuple(text, fc.double({ min: 0, max: 0.99, noNaN: true })).map(([s, at]) => json(cut(s, at), 'body:truncated-json')),
    fc.tuple(text, fc.constantFrom(...INVALID_UTF8)).map(([s, bad]) => {
      const i = Math.max(1, s.indexOf('"', 1) + 1);
      return { kind: 'body:invalid-utf8', contentType: 'application/json', body: Buffer.concat([Buffer.from(s.slice(0, i)), Buffer.from(bad), Buffer.from(s.slice(i))]) };
    }),
    text.map((s) => ({ kind: 'body:utf8-bom', contentType: 'application/json', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s)]) })),
    text.map((s) => json(`${s}}garbage`, 'body:trailing-garbage')),
    text.map((s) => json(s.replace(/^\{"(\w+)":/, '{"$1":null,"$1":'), 'body:duplicate-key')),
    fc.constantFrom('', ' ', 'null', '[]', '"text"', '0', 'true', '{', '}', '\u0000').map((s) => json(s, 'body:not-an-object')),
    fc.constantFrom(1_000, 100_000).map((n) => json(`${'['.repeat(n)}${']'.repeat(n)}`, `body:nested-arrays-${n}`)),
    fc.constantFrom(1_000, 20_000).map((n) => json(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`, `body:nested-objects-${n}`)),
    fc.constantFrom(70 * 1024, 2 * 1024 * 1024 + 7).map((size): BodyCase => ({ kind: `body:oversized-${size}`, contentType: 'application/json', body: { prefix: '{"a":"', size, fill: 'A' } })),
    text.chain((s) =>
      fc.constantFrom(
        'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'APPLICATION/JSON',
        'application/jsonx', 'application/vnd.api+json', 'application/json, text/html', ';;;', `application/json; x=${'a'.repeat(2000)}`, 'application/octet-stream',
      ).map((ct) => json(s, `content-type:${ct.length > 60 ? 'long-parameter' : ct}`, ct)),
    ),
    text.map((s): BodyCase => ({ kind: 'content-type:missing', contentType: undefined, body: Buffer.from(s) })),
    multipart(),
  );
}

/** multipart/form-data, cut short or without its boundary (no route accepts it). */
function multipart(): fc.Arbitrary<BodyCase> {
  const whole = '------fz\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\nContent-Type: application/octet-stream\r\n\r\nAAAA\r\n------fz--\r\n';
  return fc.oneof(
    fc.integer({ min: 1, max: whole.length - 1 }).map((n): BodyCase => ({ kind: 'multipart:truncated', contentType: 'multipart/form-data; boundary=----fz', body: Buffer.from(whole.slice(0, n)) })),
    fc.constant<BodyCase>({ kind: 'multipart:no-boundary', contentType: 'multipart/form-data', body: Buffer.from(whole) }),
  );
}

/** Raw bytes as an upload part: sizes around the chunk stride, so splitting is exercised. */
export function octetBodies(strides: number[]): fc.Arbitrary<BodyCase> {
  const sizes = [0, 1, 16, 17, 18, ...strides.flatMap((s) => [s - 1, s, s + 1, s + 16, s + 17, 2 * s, 2 * s + 1, 3 * s])].filter((n) => n >= 0);
  return fc.oneof(
    { arbitrary: fc.constantFrom(...sizes).map((size): BodyCase => ({ kind: `octet:${size}-bytes`, contentType: 'application/octet-stream', body: { prefix: '', size, fill: '\u0000' } })), weight: 12 },
    { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b): BodyCase => ({ kind: 'octet:random', contentType: 'application/octet-stream', body: Buffer.from(b) })), weight: 4 },
    // One byte past the largest part the server takes: refused from its length.
    { arbitrary: fc.constant<BodyCase>({ kind: 'octet:oversized', contentType: 'application/octet-stream', body: { prefix: '', size: MAX_PART_PLAINTEXT + MAX_PART_CHUNKS * CHUNK_OVERHEAD + 1, fill: 'x' } }), weight: 1 },
  );
}

/** A valid-shaped body (reaches the checks behind the schema), or a broken one. */
export function bodyFor(op: Operation, pools: Pools, strides: number[]): fc.Arbitrary<BodyCase> {
  const kinds: fc.WeightedArbitrary<BodyCase>[] = [{ arbitrary: byteMutation(op.body, pools), weight: 3 }, { arbitrary: octetBodies(strides), weight: op.body ? 1 : 3 }];
  if (op.body) {
    kinds.push({ arbitrary: mutateFields(op.body, valid(op.body, pools)), weight: 8 });
    kinds.push({ arbitrary: validBody(op.body, pools), weight: 2 });
  }
  return fc.oneof(...kinds);
}

/** A body the client library really sent (signed, as a user made it): again as it was, or with one field broken. */
export function replayedBody(schema: Schema, sent: unknown): fc.Arbitrary<BodyCase> {
  return fc.oneof({ arbitrary: fc.constant(json(toJson(sent), 'body:as-sent')), weight: 1 }, { arbitrary: mutateFields(schema, fc.constant(sent)), weight: 5 });
}

export function validBody(schema: Schema, pools: Pools): fc.Arbitrary<BodyCase> {
  return valid(schema, pools).map((v) => json(toJson(v), 'body:valid-shape'));
}

export const fillerBytes = (f: Filler) => Buffer.concat([Buffer.from(f.prefix), Buffer.alloc(Math.max(0, f.size - f.prefix.length), f.fill)]);

export { RawJson };
