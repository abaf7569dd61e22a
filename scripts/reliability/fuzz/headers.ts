import fc from 'fast-check';
import type { Operation } from './openapi.ts';
import type { Named } from './values.ts';

// Headers: sizes around Node's 16 KiB limit, ones the server does not expect, and
// Authorization values that are not a live session.

/** `strides`: chunk strides of the seeded files, for ranges on and off their boundaries. */
export function brokenHeaders(op: Operation, strides: number[]): fc.Arbitrary<[string, Record<string, string>]> {
  const ranges = ['bytes=0-', 'bytes=-5', 'bytes=0-0', 'bytes=0-1,2-3', 'bytes=99999999999999999999-', 'bytes=1-', 'items=0-', 'bytes=', 'bytes=0--1', ...strides.flatMap((s) => [`bytes=${s}-`, `bytes=${2 * s}-`, `bytes=${s + 1}-`])];
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
  if (op.method === 'GET' && op.path.startsWith('/v1/files/{fileId}')) kinds.push(fc.constantFrom(...ranges).map((r): [string, Record<string, string>] => ['header:range', { range: r }]));
  return fc.oneof(...kinds);
}

/** Authorization values that are not a live session (the token itself is never printed). */
export function brokenAuth(token: string): fc.Arbitrary<[string, Record<string, string>]> {
  const t = token;
  const values: Named[] = [
    ['auth:none', ''], ['auth:empty-bearer', 'Bearer '], ['auth:basic', 'Basic YWRtaW46YWRtaW4='], ['auth:lower-case-scheme', `bearer ${t}`],
    ['auth:token-plus-char', `Bearer ${t}x`], ['auth:token-minus-char', `Bearer ${t.slice(0, -1)}`], ['auth:unknown-token', `Bearer ${'A'.repeat(43)}`],
    ['auth:two-tokens', `Bearer ${t} ${t}`], ['auth:traversal', 'Bearer ../../../etc/passwd'], ['auth:huge', `Bearer ${'A'.repeat(10_000)}`],
    ['auth:percent-nul', 'Bearer %00'], ['auth:padded-token', `Bearer ${t}=`],
  ];
  return fc.constantFrom(...values).map(([kind, v]) => [kind, v ? { authorization: String(v) } : {}]);
}
