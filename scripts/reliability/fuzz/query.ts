import fc from 'fast-check';
import type { Operation } from './openapi.ts';
import { broken, toJson, valid, type Pools } from './values.ts';

// Querystrings: the declared parameters with valid values, or broken in one way.

/** Required parameters, and each optional one a third of the time (an opaque cursor made up is refused). */
export function validQuery(op: Operation, pools: Pools): fc.Arbitrary<string> {
  if (op.query.length === 0) return fc.constant('');
  const each = op.query.map((p) => {
    const value = valid(p.schema, pools).map((v): [string, string] => [p.name, String(v)]);
    return p.required ? value : fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, { arbitrary: value, weight: 1 });
  });
  return fc.tuple(...each).map((pairs) => new URLSearchParams(pairs.filter((x) => x !== null)).toString());
}

export function brokenQuery(op: Operation, pools: Pools): fc.Arbitrary<[string, string]> {
  const names = op.query.length ? op.query.map((p) => p.name) : ['limit'];
  const one = fc.constantFrom(...names);
  const declared = op.query.length
    ? fc.tuple(fc.constantFrom(...op.query), validQuery(op, pools)).chain(([p, rest]) =>
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
