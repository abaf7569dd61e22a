import { readFile } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { TABLE, matrixMarkdown, type Row } from './authz-table.ts';
import { CALLERS, World, type CallerName } from './authz-world.ts';

// Every route × every caller, as listed in test/authz-table.ts [Note: authorization matrix].
// Per cell: the status and code; a refused request (and any read) leaves the database as it
// was; a 404 is byte-identical to the 404 of an id that does not exist; and nobody without
// a live grant gets back an id of the owner's record, file or upload.

const w = await World.create(t);
/** Callers to whom R, F and U must look as if they did not exist. */
const STRANGERS: ReadonlySet<CallerName> = new Set(['anonymous', 'revoked', 'expired', 'other', 'admin']);

t.test('the table has a row for every route in /openapi.json, and no other', async (t) => {
  const doc = (await (await fetch(`${w.server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const served = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  const listed = TABLE.map((r) => `${r.method} ${r.path}`);
  t.same(served.filter((r) => !listed.includes(r)), [], 'every route served has a row');
  t.same(listed.filter((r) => !served.includes(r)), [], 'every row is a route served');
  t.equal(new Set(listed).size, listed.length, 'one row per route');
  t.ok(served.length >= 39, `${served.length} routes`);
});

t.test('docs/RELIABILITY.md shows this table', async (t) => {
  const doc = await readFile(new URL('../docs/RELIABILITY.md', import.meta.url), 'utf8');
  t.ok(doc.includes(matrixMarkdown()), 'the "Authorization matrix" section holds the output of npx tsx scripts/reliability/authz-table.ts');
});

t.test('the callers are who the matrix says', async (t) => {
  const me = async (token: string) => JSON.parse((await w.send('GET', { path: '/v1/account/' }, token)).text) as { isAdmin: boolean };
  t.equal((await me(w.people.admin.token)).isAdmin, true, 'admin is an administrator (registered first)');
  t.equal((await me(w.owner.token)).isAdmin, false, 'the owner is not');
  const status = Object.fromEntries((await w.owner.vault.grants(w.record)).map((g) => [g.handle, g.status]));
  const { reviewer, revoked, expired } = w.people;
  t.same(status, { [reviewer.handle]: 'live', [revoked.handle]: 'revoked', [expired.handle]: 'expired' });
});

async function runCell(t: Test, row: Row, caller: CallerName) {
  const want = row.expect[caller];
  const person = caller === 'anonymous' ? undefined : w.people[caller];
  const token = person && row.endsSession ? (await w.freshSession(person)).token : w.tokenOf(caller);
  const req = await row.request({ w, caller, unknown: false });
  const before = await w.snapshot();
  const got = await w.send(row.method, req, token);
  const label = `${caller}: ${want.status}${want.code ? ` ${want.code}` : ''}`;
  t.same({ status: got.status, code: want.code === undefined ? undefined : got.code }, { status: want.status, code: want.code }, label);
  if (want.status >= 400 || !row.writes) t.equal(await w.snapshot(), before, `${caller}: the database did not change`);
  if (STRANGERS.has(caller)) {
    const leaked = [w.record, w.file, w.upload].filter((id) => got.text.includes(id));
    t.same(leaked, [], `${caller}: no id of the owner's record, file or upload in the answer`);
  }
  if (want.status === 404 && row.path.includes('{')) {
    const absent = await w.send(row.method, await row.request({ w, caller, unknown: true }), token);
    t.same([got.status, got.text], [absent.status, absent.text], `${caller}: the very answer (status, code, message) given for an id that does not exist`);
  }
}

for (const row of TABLE) {
  t.test(`${row.method} ${row.path}`, async (t) => {
    for (const caller of CALLERS) await runCell(t, row, caller);
  });
}
