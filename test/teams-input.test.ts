import t from 'tap';
import { MemoryStateStore, Vault } from '@testimony-vault/client';
import { encodeTeamStatement, parseTeamStatement, teamStatementBytes } from '@testimony-vault/protocol';
import type { Unlocked } from '../client-lib/src/account/session.ts';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { build, capturingFetch, handle, testClient } from './helper.ts';

// Hostile input to the team routes from a coordinator's own session (the one caller the
// general fuzz suite cannot be: it has no team). Every malformed or out-of-order statement,
// and every malformed team record, gets a 4xx with a stable code, never a 5xx, and the chain
// stays as it was: every client still verifies it, and the honest statement still goes in.

const server = await build(t);
const s = await sodiumReady();

async function person(prefix: string) {
  const capture = capturingFetch();
  const h = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state: new MemoryStateStore(), fetch: capture.fetch, ...testClient });
  return { vault, handle: h, token: () => capture.tokens[capture.tokens.length - 1]!, capture };
}

const coordinator = await person('coord');
const ana = await person('ana');
const team = await coordinator.vault.teams.create();
const me = (coordinator.vault as unknown as { me: Unlocked }).me;

async function post(path: string, json: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${coordinator.token()}`, 'content-type': 'application/json' },
    body: typeof json === 'string' ? json : JSON.stringify(json),
  });
  return { status: res.status, body: (await res.json()) as { code?: string } };
}

// What the coordinator's client sent to add ana: the base of every mutation.
const held = await (async () => {
  const before = coordinator.capture.requests.length;
  await coordinator.vault.teams.addMember(team, ana.handle);
  const sent = coordinator.capture.requests.slice(before).find((r) => r.method === 'POST' && r.path.endsWith('/statements'))!;
  return JSON.parse(sent.body) as { statement: string; signature: string; teamKeys: unknown[]; caseKeys: unknown[]; shareKeys: unknown[] };
})();
// That one went in; the mutations below are of the next one (adding beto).
const beto = await person('beto');
const path = `/v1/teams/${team}/statements`;
const stateBefore = await coordinator.vault.teams.info(team);

/** Signs an edited statement text, so the server's own rules (not the signature) must refuse it. */
function signed(json: string) {
  return Buffer.from(s.crypto_sign_detached(teamStatementBytes(json), me.privateKeys.signSecretKey)).toString('base64url');
}

t.test('malformed and out-of-order statements: 4xx, never 5xx, and the chain unchanged', async (t) => {
  const next = await (async () => {
    const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${coordinator.token()}` } });
    const { statements } = (await r.json()) as { statements: { statement: string }[] };
    return statements;
  })();
  const last = parseTeamStatement(next[next.length - 1]!.statement);
  const lastHash = s.crypto_hash_sha256(teamStatementBytes(next[next.length - 1]!.statement));
  const base = parseTeamStatement(held.statement);
  const betoKeys = await coordinator.vault.lookupUser(beto.handle);
  const good = { ...base, seq: last.seq + 1, prev: lastHash, at: Date.now(), subject: { handle: beto.handle, signPublicKey: betoKeys.keys.signPublicKey, boxPublicKey: betoKeys.keys.boxPublicKey } };
  const text = encodeTeamStatement(good);
  const o = JSON.parse(text) as Record<string, unknown>;
  const edits: [string, (x: Record<string, unknown>) => unknown][] = [
    ['seq behind', (x) => ({ ...x, seq: 0 })],
    ['seq ahead', (x) => ({ ...x, seq: (x.seq as number) + 5 })],
    ['seq negative', (x) => ({ ...x, seq: -1 })],
    ['seq a string', (x) => ({ ...x, seq: '3' })],
    ['prev of another statement', (x) => ({ ...x, prev: Buffer.alloc(32, 7).toString('base64url') })],
    ['prev short', (x) => ({ ...x, prev: 'AAAA' })],
    ['another team', (x) => ({ ...x, team: '00000000-0000-4000-8000-000000000000' })],
    ['unknown action', (x) => ({ ...x, action: 'promote' })],
    ['version 2', (x) => ({ ...x, v: 2 })],
    ['no role', (x) => ({ ...x, role: null })],
    ['unknown role', (x) => ({ ...x, role: 'admin' })],
    ['raises the team epoch', (x) => ({ ...x, teamEpoch: 9 })],
    ['a team key on an add', (x) => ({ ...x, teamKey: Buffer.alloc(32).toString('base64url') })],
    ['case keys on an add', (x) => ({ ...x, caseKeys: [{ caseId: team, caseEpoch: 2, commitment: Buffer.alloc(32).toString('base64url') }] })],
    ['case keys not a list', (x) => ({ ...x, caseKeys: { a: 1 } })],
    ['case keys of nulls', (x) => ({ ...x, caseKeys: [null, 3] })],
    ['an end date on an add', (x) => ({ ...x, expiresAt: Date.now() + 1000 })],
    ['a subject that is a string', (x) => ({ ...x, subject: 'beto' })],
    ['a subject with short keys', (x) => ({ ...x, subject: { ...(x.subject as object), boxPublicKey: 'AAAA' } })],
    ['a subject nobody is', (x) => ({ ...x, subject: { ...(x.subject as object), handle: 'nobody-here' } })],
    ['a subject with the wrong keys', (x) => ({ ...x, subject: { ...(x.subject as object), boxPublicKey: Buffer.alloc(32, 1).toString('base64url') } })],
    ['signed by someone else', (x) => ({ ...x, by: ana.handle })],
    ['an old clock', (x) => ({ ...x, at: 1 })],
    ['a clock far ahead', (x) => ({ ...x, at: Number.MAX_SAFE_INTEGER })],
    ['the creator again', (x) => ({ ...x, action: 'create', teamEpoch: 2, teamKey: Buffer.alloc(32).toString('base64url') })],
    ['removing someone who is not a member', (x) => ({ ...x, action: 'remove', role: null, teamEpoch: 2, teamKey: Buffer.alloc(32).toString('base64url') })],
    ['sharing a case that does not exist', (x) => ({ ...x, action: 'case-share', role: null, caseId: '00000000-0000-4000-8000-000000000001', expiresAt: null })],
  ];
  const keys = { teamKeys: held.teamKeys.map((k) => ({ ...(k as object), handle: beto.handle })), caseKeys: [], shareKeys: [] };
  for (const [name, edit] of edits) {
    const json = JSON.stringify(edit({ ...o }));
    const res = await post(path, { statement: json, signature: signed(json), ...keys });
    t.ok(res.status >= 400 && res.status < 500 && typeof res.body.code === 'string', `${name}: ${res.status} ${res.body.code}`);
  }
  const raw: [string, unknown][] = [
    ['not JSON', { statement: '{"v":1', signature: signed('{"v":1'), ...keys }],
    ['a JSON array', { statement: '[1,2]', signature: signed('[1,2]'), ...keys }],
    ['null', { statement: 'null', signature: signed('null'), ...keys }],
    ['a bad signature', { statement: text, signature: Buffer.alloc(64).toString('base64url'), ...keys }],
    ['no keys for the new member', { statement: text, signature: signed(text), teamKeys: [], caseKeys: [], shareKeys: [] }],
    ['keys for someone else', { statement: text, signature: signed(text), ...keys, teamKeys: held.teamKeys }],
    ['a key twice', { statement: text, signature: signed(text), ...keys, teamKeys: [...keys.teamKeys, ...keys.teamKeys] }],
    ['a short sealed key', { statement: text, signature: signed(text), ...keys, teamKeys: [{ ...(keys.teamKeys[0] as object), sealed: 'AAAA' }] }],
    ['an unknown field', { statement: text, signature: signed(text), ...keys, extra: 1 }],
    ['not an object', 'true'],
  ];
  for (const [name, body] of raw) {
    const res = await post(path, body);
    t.ok(res.status >= 400 && res.status < 500 && typeof res.body.code === 'string', `${name}: ${res.status} ${res.body.code}`);
  }
  t.same(await coordinator.vault.teams.info(team), stateBefore, 'the chain is as it was');
  const res = await post(path, { statement: text, signature: signed(text), ...keys });
  t.equal(res.status, 201, 'the honest statement still goes in');
  t.ok((await ana.vault.teams.info(team)).members.some((m) => m.handle === beto.handle), 'and verifies for a member');
});

t.test('malformed team records: 4xx, never 5xx', async (t) => {
  const { id } = await coordinator.vault.teams.writeRecord(team, team, { title: 'a', narrative: 'b' });
  const rec = `/v1/teams/${team}/records`;
  const bodies: [string, string, unknown][] = [
    ['a case that does not exist', rec, { id: crypto.randomUUID(), caseId: crypto.randomUUID(), caseEpoch: 1, chainSeq: 0, chainHead: Buffer.alloc(32).toString('base64url'), wrappedKey: Buffer.alloc(73).toString('base64url'), body: 'AAAA', signature: Buffer.alloc(64).toString('base64url') }],
    ['an old chain head', rec, { id: crypto.randomUUID(), caseId: team, caseEpoch: 1, chainSeq: 0, chainHead: Buffer.alloc(32).toString('base64url'), wrappedKey: Buffer.alloc(73).toString('base64url'), body: 'AAAA', signature: Buffer.alloc(64).toString('base64url') }],
    ['an epoch not in force', rec, { id: crypto.randomUUID(), caseId: team, caseEpoch: 7, chainSeq: 0, chainHead: Buffer.alloc(32).toString('base64url'), wrappedKey: Buffer.alloc(73).toString('base64url'), body: 'AAAA', signature: Buffer.alloc(64).toString('base64url') }],
    ['an existing record', rec, { id, caseId: team, caseEpoch: 1, chainSeq: 0, chainHead: Buffer.alloc(32).toString('base64url'), wrappedKey: Buffer.alloc(73).toString('base64url'), body: 'AAAA', signature: Buffer.alloc(64).toString('base64url') }],
    ['a short wrapped key', rec, { id: crypto.randomUUID(), caseId: team, caseEpoch: 1, chainSeq: 0, chainHead: Buffer.alloc(32).toString('base64url'), wrappedKey: 'AAAA', body: 'AAAA', signature: Buffer.alloc(64).toString('base64url') }],
    ['a version skipped', `${rec}/${id}/versions`, { version: 5, caseEpoch: 1, chainSeq: 0, chainHead: Buffer.alloc(32).toString('base64url'), wrappedKey: Buffer.alloc(73).toString('base64url'), body: 'AAAA', signature: Buffer.alloc(64).toString('base64url') }],
    ['version 0', `${rec}/${id}/versions`, { version: 0, caseEpoch: 1, chainSeq: 0, chainHead: Buffer.alloc(32).toString('base64url'), wrappedKey: Buffer.alloc(73).toString('base64url'), body: 'AAAA', signature: Buffer.alloc(64).toString('base64url') }],
  ];
  for (const [name, p, body] of bodies) {
    const res = await post(p, body);
    t.ok(res.status >= 400 && res.status < 500 && typeof res.body.code === 'string', `${name}: ${res.status} ${res.body.code}`);
  }
  // The current head, but a signature that is not the author's.
  const info = await coordinator.vault.teams.info(team);
  const history = await coordinator.vault.teams.history(team);
  const head = Buffer.from(history[history.length - 1]!.hash, 'hex').toString('base64url');
  const forged = await post(rec, { id: crypto.randomUUID(), caseId: team, caseEpoch: 1, chainSeq: info.headSeq, chainHead: head, wrappedKey: Buffer.alloc(73).toString('base64url'), body: 'AAAA', signature: Buffer.alloc(64).toString('base64url') });
  t.same([forged.status, forged.body.code], [400, 'VAULT_ERR_SIGNATURE_INVALID'], 'a version the member did not sign');
  t.equal((await coordinator.vault.teams.readRecord(team, id)).fields.title, 'a', 'the stored record still verifies');
});
