import t from 'tap';
import { MemoryStateStore, SignatureError, Vault } from '@testimony-vault/client';
import { build, capturingFetch, handle, testClient } from './helper.ts';

// [Note: a shared record is its grant's], from the hostile operator's side, as the attacker
// review did it: alice shares record X with bob, who verified her safety number. In a
// workshop of its own (a second server, bob's public account row copied in), the operator's
// look-alike account "alice.…" writes a record under the same id X and grants it to bob:
// every signature in it is good. The genuine server then answers bob's GET /records/X with
// that record.

const genuine = await build(t);
const workshop = await build(t);
const PASS = 'p';

const alice = handle('alice');
const bob = handle('bob');
const { vault: aliceVault } = await Vault.register({ server: genuine.url, handle: alice, passphrase: PASS, ...testClient });
const { vault: bobVault } = await Vault.register({ server: genuine.url, handle: bob, passphrase: PASS, ...testClient });
await bobVault.lookupUser(alice);
await bobVault.verifyContact(alice, aliceVault.fingerprint());
const { id: X } = await aliceVault.createRecord({ title: 'Testimonio de alice', narrative: 'Lo que alice escribió.' });
await aliceVault.share(X, bob, { requireVerified: false });

// The workshop: bob as the genuine server knows him, and the look-alike writing under id X.
const bobRow = await genuine.db.selectFrom('accounts').selectAll().where('handle', '=', bob).executeTakeFirstOrThrow();
await workshop.db.insertInto('accounts').values(bobRow).execute();
const { vault: mallory } = await Vault.register({ server: workshop.url, handle: `${alice}.mx`, passphrase: PASS, ...testClient });
const sodium = (mallory as unknown as { s: { randombytes_buf: (n: number) => Uint8Array; from_hex: (h: string) => Uint8Array } }).s;
const random = sodium.randombytes_buf;
let used = false;
sodium.randombytes_buf = (n: number) => (n === 16 && !used ? ((used = true), sodium.from_hex(X.replaceAll('-', ''))) : random.call(sodium, n));
const { id: forgedId } = await mallory.createRecord({ title: 'Alice se retracta: nada de lo que dije es cierto', narrative: 'Texto del operador.' });
sodium.randombytes_buf = random;
await mallory.share(X, bob, { requireVerified: false });
const capture = capturingFetch();
await Vault.login({ server: workshop.url, handle: bob, passphrase: PASS, fetch: capture.fetch, ...testClient });
const fromWorkshop = async (path: string) => (await fetch(`${workshop.url}${path}`, { headers: { authorization: `Bearer ${capture.tokens[0]}` } })).text();
const forged = {
  record: await fromWorkshop(`/v1/records/${X}`),
  versions: await fromWorkshop(`/v1/records/${X}/versions?after=0`),
  /** The look-alike's grant of X to bob, as the workshop lists it. */
  grant: (JSON.parse(await fromWorkshop('/v1/shared')) as { records: unknown[] }).records[0],
};

/**
 * The genuine server, except that record X is the workshop's. The genuine answer's headers
 * are kept: they name the audit event that logged the read, as a server that hides nothing would.
 */
const hostile = (swap: () => boolean): typeof fetch => async (input, init) => {
  const res = await fetch(input, init);
  const url = new URL(String(input));
  const body = url.pathname === `/v1/records/${X}` ? forged.record : url.pathname === `/v1/records/${X}/versions` && url.searchParams.get('after') === '0' ? forged.versions : undefined;
  if (body === undefined || !swap()) return res;
  return new Response(body, { status: 200, headers: res.headers });
};

t.test('the forged record is one a reader would otherwise accept', async (t) => {
  t.equal(forgedId, X, 'the look-alike wrote under id X');
  const reader = await Vault.login({ server: genuine.url, handle: bob, passphrase: PASS, state: new MemoryStateStore(), fetch: hostile(() => true), ...testClient });
  const record = await reader.getRecord(X); // never told who shared X: nothing to compare with
  t.equal(record.fields.title, 'Alice se retracta: nada de lo que dije es cierto', 'every signature in it verifies');
  t.equal(record.owner, `${alice}.mx`);
});

t.test("after the inbox, record X is read only as alice's", async (t) => {
  const reader = await Vault.login({ server: genuine.url, handle: bob, passphrase: PASS, state: new MemoryStateStore(), fetch: hostile(() => true), ...testClient });
  const shared = await reader.sharedWithMe();
  t.same(
    shared.map((s) => [s.recordId, s.owner.handle, s.owner.verified]),
    [[X, alice, true]],
    "the inbox lists X from alice, verified: her grant is genuine",
  );
  await t.rejects(reader.getRecord(X), SignatureError, 'the record served under it is refused');
  await t.rejects(reader.recordVersions(X), SignatureError, 'so are its versions');
  await t.rejects(reader.getRecord(X), { message: new RegExp(`shared by ${alice}, but the server serves it as ${alice}\\.mx`) });
});

t.test('a record read once under its owner is not read under another later in the session', async (t) => {
  let reads = 0;
  const reader = await Vault.login({ server: genuine.url, handle: bob, passphrase: PASS, state: new MemoryStateStore(), fetch: hostile(() => ++reads === 2), ...testClient });
  t.equal((await reader.getRecord(X)).fields.title, 'Testimonio de alice', 'the first read is the genuine one');
  await t.rejects(reader.getRecord(X), SignatureError, 'the second, swapped, is refused');
  t.equal((await reader.getRecord(X)).fields.title, 'Testimonio de alice', 'and leaves no trace: the genuine record reads again (no rollback alarm from the forged version)');
});

t.test("a second, forged grant for the same record in the inbox does not make the look-alike its owner", async (t) => {
  const listingBoth: typeof fetch = async (input, init) => {
    const res = await hostile(() => true)(input, init);
    if (new URL(String(input)).pathname !== '/v1/shared') return res;
    const body = (await res.json()) as { records: unknown[] };
    body.records.push(forged.grant);
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
  };
  const reader = await Vault.login({ server: genuine.url, handle: bob, passphrase: PASS, state: new MemoryStateStore(), fetch: listingBoth, ...testClient });
  const shared = await reader.sharedWithMe();
  t.same(shared.map((s) => s.recordId), [], 'X is listed under no owner');
  t.same(shared.failures.map((f) => [f.recordId, f.error.name]), [[X, 'SignatureError']], 'but as a failure: the two grants conflict');
  await t.rejects(reader.getRecord(X), SignatureError, 'and it is read under no owner for the rest of the session');
});
