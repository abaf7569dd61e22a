import { randomBytes, randomUUID } from 'node:crypto';
import type { CallerName, Req, World } from './authz-world.ts';
import { TEAM_ROWS } from './authz-teams.ts';

// [Note: authorization matrix]
// Every route of the API × seven callers, with the status (and error code) each must get.
// The callers, against the owner's record R, its file F and its unfinished upload U:
//   anonymous: no session;  owner: R's owner;  reviewer: a live grant on R;
//   revoked: a grant on R, revoked;  expired: a grant on R, expired;  other: no grant;
//   admin: the administrator (the first account), with no grant on R.
// A cell sends a well-formed body (made by the caller's own client, or the owner's where the
// caller has none to make), so its status is about who asks, not what is asked. A cell whose
// success would change the shared state runs, for the owner, on a fresh record or upload.
// test/authz-matrix.test.ts runs it; scripts/reliability/authz-table.ts prints it for
// docs/RELIABILITY.md.

export interface Expect { status: number; code?: string }
export interface Cell { w: World; caller: CallerName; /** ask about ids that do not exist instead of R, F, U */ unknown: boolean }
export interface Row {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As /openapi.json names it. */
  path: string;
  expect: Record<CallerName, Expect>;
  /** It changes stored state when it succeeds (a refusal, or any read, must change nothing). */
  writes?: true;
  /** It ends the session it is sent with: each caller sends it with a session of its own. */
  endsSession?: true;
  request(c: Cell): Promise<Req> | Req;
}

const ok = (status: number): Expect => ({ status });
const UNAUTHENTICATED: Expect = { status: 401, code: 'VAULT_ERR_UNAUTHENTICATED' };
const FORBIDDEN: Expect = { status: 403, code: 'VAULT_ERR_FORBIDDEN' };
const NOT_FOUND: Expect = { status: 404, code: 'VAULT_ERR_NOT_FOUND' };

type Seven = [Expect, Expect, Expect, Expect, Expect, Expect, Expect];
const cells = (...e: Seven): Record<CallerName, Expect> => {
  const [anonymous, owner, reviewer, revoked, expired, other, admin] = e;
  return { anonymous, owner, reviewer, revoked, expired, other, admin };
};
/** No session needed: the same for everyone. */
const open = (s: number) => cells(ok(s), ok(s), ok(s), ok(s), ok(s), ok(s), ok(s));
/** Any signed-in account, about itself. */
const signedIn = (s: number) => cells(UNAUTHENTICATED, ok(s), ok(s), ok(s), ok(s), ok(s), ok(s));
/** The owner and a live grantee; to anyone else R does not exist. */
const readers = (s: number) => cells(UNAUTHENTICATED, ok(s), ok(s), NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND);
/** The owner; a live grantee knows R exists and is refused; to anyone else R does not exist. */
const ownerOnly = (s: number) => cells(UNAUTHENTICATED, ok(s), FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND);
/** The owner alone: an upload (U, or a session) is never shown to anyone else, a grantee included. */
const ownerAlone = (s: number) => cells(UNAUTHENTICATED, ok(s), NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND);
const adminOnly = (s: number) => cells(UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, ok(s));

/** The signed-in person of a cell; the owner stands in for the anonymous caller's body. */
const self = (c: Cell) => c.w.people[c.caller === 'anonymous' ? 'owner' : c.caller];
const mine = (c: Cell) => c.caller === 'owner';
/** `real`, or an id nothing has (the probe a 404 must be indistinguishable from). */
const orUnknown = (c: Cell, real: string) => (c.unknown ? randomUUID() : real);
/** R, or for the owner a fresh record (its cell would otherwise change R). */
const targetRecord = async (c: Cell) => (mine(c) ? c.w.freshRecord() : c.w.record);
/** U, or for the owner a fresh upload. */
const targetUpload = async (c: Cell) => (c.unknown ? randomUUID() : mine(c) ? c.w.freshUpload() : c.w.upload);
/** One encrypted chunk's worth of bytes (the server checks sizes, not contents). */
const part = () => randomBytes(1000);

const spare = (c: Cell) => c.w.spare;

export const TABLE: Row[] = [
  { method: 'GET', path: '/health', expect: open(200), request: () => ({ path: '/health' }) },
  { method: 'GET', path: '/ready', expect: open(200), request: () => ({ path: '/ready' }) },
  { method: 'POST', path: '/v1/auth/prelogin', expect: open(200), request: (c) => ({ path: '/v1/auth/prelogin', json: { handle: spare(c).handle } }) },
  {
    method: 'POST', path: '/v1/auth/register', expect: open(201), writes: true,
    request: async (c) => ({ path: '/v1/auth/register', json: await c.w.registration() }),
  },
  { method: 'POST', path: '/v1/auth/login', expect: open(200), writes: true, request: (c) => ({ path: '/v1/auth/login', json: spare(c).login }) },
  { method: 'POST', path: '/v1/auth/logout', expect: signedIn(204), writes: true, endsSession: true, request: () => ({ path: '/v1/auth/logout' }) },
  {
    method: 'POST', path: '/v1/auth/recover/start', expect: open(200),
    request: (c) => ({ path: '/v1/auth/recover/start', json: { handle: spare(c).handle, recoveryAuthKey: spare(c).registered.recoveryAuthKey } }),
  },
  {
    // The spare account "recovers" to the passphrase it had: its sessions end, its keys stay.
    method: 'POST', path: '/v1/auth/recover/finish', expect: open(204), writes: true,
    request: (c) => {
      const r = spare(c).registered;
      return { path: '/v1/auth/recover/finish', json: { handle: spare(c).handle, recoveryAuthKey: r.recoveryAuthKey, kdf: r.kdf, loginKey: r.loginKey, wrappedMasterKey: r.wrappedMasterKey } };
    },
  },

  { method: 'GET', path: '/v1/account/', expect: signedIn(200), request: () => ({ path: '/v1/account/' }) },
  {
    // Each caller sets the passphrase it has again (ends its other sessions, keeps this one).
    method: 'POST', path: '/v1/account/passphrase', expect: signedIn(204), writes: true,
    request: (c) => {
      const r = self(c).registered;
      return { path: '/v1/account/passphrase', json: { currentLoginKey: r.loginKey, kdf: r.kdf, loginKey: r.loginKey, wrappedMasterKey: r.wrappedMasterKey } };
    },
  },
  { method: 'GET', path: '/v1/sessions/', expect: signedIn(200), request: () => ({ path: '/v1/sessions/' }) },
  {
    // Ending one of the owner's sessions: another account's session id is as unknown as a random one.
    method: 'DELETE', path: '/v1/sessions/{id}', expect: ownerAlone(204), writes: true,
    request: async (c) => ({ path: `/v1/sessions/${c.unknown ? randomUUID() : (await c.w.freshSession(c.w.owner)).id}` }),
  },
  {
    // A well-formed envelope: the server checks only its size and version byte.
    method: 'PUT', path: '/v1/sessions/current/label', expect: signedIn(204), writes: true,
    request: () => ({ path: '/v1/sessions/current/label', json: { label: Buffer.concat([Buffer.from([1]), randomBytes(168)]).toString('base64url') } }),
  },
  { method: 'POST', path: '/v1/invites/', expect: adminOnly(201), writes: true, request: () => ({ path: '/v1/invites/', json: {} }) },

  {
    method: 'POST', path: '/v1/records/', expect: signedIn(201), writes: true,
    request: async (c) => ({ path: '/v1/records/', json: await c.w.dryRun(self(c), 'POST', /^\/v1\/records$/, (v) => v.createRecord({ title: 'mine', narrative: 'mine' })) }),
  },
  { method: 'GET', path: '/v1/records/', expect: signedIn(200), request: () => ({ path: '/v1/records/' }) },
  { method: 'GET', path: '/v1/records/{id}', expect: readers(200), request: (c) => ({ path: `/v1/records/${orUnknown(c, c.w.record)}` }) },
  {
    method: 'DELETE', path: '/v1/records/{id}', expect: ownerOnly(204), writes: true,
    request: async (c) => {
      const id = await targetRecord(c);
      const json = await c.w.dryRun(c.w.owner, 'DELETE', /^\/v1\/records\/[^/]+$/, (v) => v.deleteRecord(id));
      return { path: `/v1/records/${orUnknown(c, id)}`, json };
    },
  },
  { method: 'GET', path: '/v1/records/{id}/versions', expect: readers(200), request: (c) => ({ path: `/v1/records/${orUnknown(c, c.w.record)}/versions` }) },
  {
    method: 'POST', path: '/v1/records/{id}/versions', expect: ownerOnly(201), writes: true,
    request: async (c) => {
      const id = await targetRecord(c);
      const json = await c.w.dryRun(c.w.owner, 'POST', /\/versions$/, (v) => v.updateRecord(id, { place: 'Tapachula' }));
      return { path: `/v1/records/${orUnknown(c, id)}/versions`, json };
    },
  },

  {
    method: 'POST', path: '/v1/records/{id}/files', expect: ownerOnly(201), writes: true,
    request: async (c) => ({ path: `/v1/records/${orUnknown(c, await targetRecord(c))}/files`, json: c.w.uploadBody() }),
  },
  { method: 'GET', path: '/v1/files/{fileId}/upload', expect: ownerAlone(200), request: async (c) => ({ path: `/v1/files/${c.unknown ? randomUUID() : c.w.upload}/upload` }) },
  {
    // Part 0 again, other bytes: would replace what U holds.
    method: 'PUT', path: '/v1/files/{fileId}/parts/{part}', expect: ownerAlone(200), writes: true,
    request: async (c) => ({ path: `/v1/files/${await targetUpload(c)}/parts/0`, bytes: part() }),
  },
  {
    // Exactly what U holds, so the request would complete it.
    method: 'POST', path: '/v1/files/{fileId}/complete', expect: ownerAlone(200), writes: true,
    request: async (c) => {
      const id = await targetUpload(c);
      if (mine(c)) await c.w.send('PUT', { path: `/v1/files/${id}/parts/0`, bytes: part() }, c.w.owner.token);
      return { path: `/v1/files/${id}/complete`, json: await c.w.completion(c.unknown ? c.w.upload : id) };
    },
  },
  { method: 'DELETE', path: '/v1/files/{fileId}', expect: ownerAlone(204), writes: true, request: async (c) => ({ path: `/v1/files/${await targetUpload(c)}` }) },
  { method: 'GET', path: '/v1/files/{fileId}', expect: readers(200), request: (c) => ({ path: `/v1/files/${orUnknown(c, c.w.file)}` }) },

  { method: 'GET', path: '/v1/users/{handle}', expect: signedIn(200), request: (c) => ({ path: `/v1/users/${c.w.owner.handle}` }) },
  { method: 'GET', path: '/v1/account/contacts/', expect: signedIn(200), request: () => ({ path: '/v1/account/contacts/' }) },
  {
    // The caller's client pins the spare account: the next version of its own list.
    method: 'PUT', path: '/v1/account/contacts/', expect: signedIn(200), writes: true,
    request: async (c) => ({ path: '/v1/account/contacts/', json: await c.w.dryRun(self(c), 'PUT', /^\/v1\/account\/contacts$/, (v) => v.lookupUser(spare(c).handle)) }),
  },
  {
    method: 'POST', path: '/v1/records/{id}/grants', expect: ownerOnly(201), writes: true,
    request: async (c) => {
      const id = await targetRecord(c);
      const json = await c.w.dryRun(c.w.owner, 'POST', /\/grants$/, (v) => v.share(id, c.w.people.other.handle));
      return { path: `/v1/records/${orUnknown(c, id)}/grants`, json };
    },
  },
  { method: 'GET', path: '/v1/records/{id}/grants', expect: ownerOnly(200), request: (c) => ({ path: `/v1/records/${orUnknown(c, c.w.record)}/grants` }) },
  {
    // Ending the live reviewer's grant (for the owner: on a fresh record shared with it).
    method: 'DELETE', path: '/v1/records/{id}/grants/{handle}', expect: ownerOnly(204), writes: true,
    request: async (c) => {
      const id = await targetRecord(c);
      if (mine(c)) await c.w.owner.vault.share(id, c.w.people.reviewer.handle);
      return { path: `/v1/records/${orUnknown(c, id)}/grants/${c.w.people.reviewer.handle}` };
    },
  },
  { method: 'GET', path: '/v1/records/{id}/keys', expect: readers(200), request: (c) => ({ path: `/v1/records/${orUnknown(c, c.w.record)}/keys` }) },
  { method: 'GET', path: '/v1/shared', expect: signedIn(200), request: () => ({ path: '/v1/shared' }) },

  { method: 'GET', path: '/v1/audit/key', expect: open(200), request: () => ({ path: '/v1/audit/key' }) },
  { method: 'GET', path: '/v1/audit/checkpoint', expect: signedIn(200), request: () => ({ path: '/v1/audit/checkpoint' }) },
  { method: 'GET', path: '/v1/audit/consistency', expect: signedIn(200), request: () => ({ path: '/v1/audit/consistency?from=1&to=2' }) },
  { method: 'GET', path: '/v1/audit/inclusion', expect: signedIn(200), request: () => ({ path: '/v1/audit/inclusion?index=0&size=2' }) },
  { method: 'GET', path: '/v1/records/{id}/history', expect: readers(200), request: (c) => ({ path: `/v1/records/${orUnknown(c, c.w.record)}/history?size=1` }) },
  { method: 'GET', path: '/v1/audit/events', expect: adminOnly(200), request: () => ({ path: '/v1/audit/events?limit=10' }) },
  {
    // The address of R's creation (the owner's event): its actor and the administrator; for
    // everyone else, like the administrator's own first event (index 0), it does not exist.
    method: 'GET', path: '/v1/audit/events/{index}/address', expect: cells(UNAUTHENTICATED, ok(200), NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, ok(200)),
    request: async (c) => {
      const index = c.unknown ? 0 : (await c.w.owner.vault.recordHistory(c.w.record))[0]!.index;
      return { path: `/v1/audit/events/${index}/address?size=${index + 1}` };
    },
  },
  // Teams: test/authz-teams.ts (who each caller is to the team T).
  ...TEAM_ROWS,
];

const HEADINGS: Record<CallerName, string> = {
  anonymous: 'anonymous', owner: 'owner', reviewer: 'reviewer (live grant)', revoked: 'reviewer (revoked)', expired: 'reviewer (expired)', other: 'other user', admin: 'administrator',
};

/** The table as markdown, for docs/RELIABILITY.md (which the test checks holds exactly this). */
export function matrixMarkdown(rows: readonly Row[] = TABLE): string {
  const callers = Object.keys(HEADINGS) as CallerName[];
  const codes = new Map<number, Set<string>>();
  for (const e of rows.flatMap((r) => Object.values(r.expect))) if (e.code) codes.set(e.status, (codes.get(e.status) ?? new Set()).add(e.code));
  // A status that always comes with one code is shown alone, with that code in the legend.
  const plain = (e: Expect) => (e.code && codes.get(e.status)?.size !== 1 ? `${e.status} ${e.code}` : String(e.status));
  const lines = [
    `| route | ${callers.map((c) => HEADINGS[c]).join(' | ')} |`,
    `| --- | ${callers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| \`${r.method} ${r.path}\` | ${callers.map((c) => plain(r.expect[c])).join(' | ')} |`),
  ];
  const legend = [...codes].filter(([, set]) => set.size === 1).sort(([a], [b]) => a - b).map(([status, set]) => `${status} is \`${[...set][0]}\``);
  return `${lines.join('\n')}\n\n${rows.length} routes × ${callers.length} callers = ${rows.length * callers.length} cells. In every cell, ${legend.join(', ')}.\n`;
}
