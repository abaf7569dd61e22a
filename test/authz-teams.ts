import { randomUUID } from 'node:crypto';
import type { CallerName, World } from './authz-world.ts';
import type { Expect, Row, Cell } from './authz-table.ts';

// The team routes of the authorization matrix (docs/PROTOCOL.md "Teams"). The same seven
// callers, in a team T the owner coordinates, with a case C and a record TR in it:
//   owner: T's coordinator;  reviewer: a live share of C;  revoked: a member of T, removed;
//   expired: a share of C that ended at its date;  other, admin: nothing to do with T.
// Made once, through the client library, the first time a team row runs.

export interface TeamWorld {
  team: string;
  caseId: string;
  record: string;
}

const made = new WeakMap<World, Promise<TeamWorld>>();

export function teamWorld(w: World): Promise<TeamWorld> {
  let p = made.get(w);
  if (!p) made.set(w, (p = makeTeamWorld(w)));
  return p;
}

async function makeTeamWorld(w: World): Promise<TeamWorld> {
  const { owner, reviewer, revoked, expired } = w.people;
  const teams = owner.vault.teams;
  const team = await teams.create();
  const caseId = await teams.createCase(team);
  await teams.addMember(team, revoked.handle);
  await teams.shareCase(team, caseId, reviewer.handle);
  const expiresAt = new Date(Date.now() + 1500);
  await teams.shareCase(team, caseId, expired.handle, { expiresAt });
  const { id: record } = await teams.writeRecord(team, caseId, { title: 'caso de la familia R.', narrative: 'n' });
  await teams.removeMember(team, revoked.handle);
  await new Promise((r) => setTimeout(r, Math.max(0, expiresAt.getTime() - Date.now() + 200)));
  return { team, caseId, record };
}

const ok = (status: number): Expect => ({ status });
const UNAUTHENTICATED: Expect = { status: 401, code: 'VAULT_ERR_UNAUTHENTICATED' };
const FORBIDDEN: Expect = { status: 403, code: 'VAULT_ERR_FORBIDDEN' };
const NOT_FOUND: Expect = { status: 404, code: 'VAULT_ERR_NOT_FOUND' };
const cells = (anonymous: Expect, owner: Expect, reviewer: Expect, rest: Expect): Record<CallerName, Expect> =>
  ({ anonymous, owner, reviewer, revoked: rest, expired: rest, other: rest, admin: rest });
/** Members and live reviewers read; to anyone else T does not exist. */
const teamReaders = (s: number) => cells(UNAUTHENTICATED, ok(s), ok(s), NOT_FOUND);
/** Members (here the coordinator) write; a live reviewer knows T exists and is refused. */
const teamWriters = (s: number) => cells(UNAUTHENTICATED, ok(s), FORBIDDEN, NOT_FOUND);

const orUnknown = (c: Cell, real: string) => (c.unknown ? randomUUID() : real);
const mine = (c: Cell) => c.caller === 'owner';

export const TEAM_ROWS: Row[] = [
  { method: 'GET', path: '/v1/teams', expect: cells(UNAUTHENTICATED, ok(200), ok(200), ok(200)), request: () => ({ path: '/v1/teams' }) },
  {
    method: 'POST', path: '/v1/teams/{id}/statements', expect: teamWriters(201), writes: true,
    request: async (c) => {
      const { team } = await teamWorld(c.w);
      // The owner's cell adds someone to a team of its own; the others send the owner's statement for T.
      const target = mine(c) ? await c.w.owner.vault.teams.create() : team;
      const json = await c.w.dryRun(c.w.owner, 'POST', /\/statements$/, (v) => v.teams.addMember(target, c.w.people.other.handle));
      return { path: `/v1/teams/${orUnknown(c, target)}/statements`, json };
    },
  },
  { method: 'GET', path: '/v1/teams/{id}/statements', expect: teamReaders(200), request: async (c) => ({ path: `/v1/teams/${orUnknown(c, (await teamWorld(c.w)).team)}/statements` }) },
  { method: 'GET', path: '/v1/teams/{id}/history', expect: teamReaders(200), request: async (c) => ({ path: `/v1/teams/${orUnknown(c, (await teamWorld(c.w)).team)}/history?size=1` }) },
  {
    method: 'GET', path: '/v1/teams/{id}/cases/{caseId}/history', expect: teamReaders(200),
    request: async (c) => {
      const { team, caseId } = await teamWorld(c.w);
      return { path: `/v1/teams/${orUnknown(c, team)}/cases/${orUnknown(c, caseId)}/history?size=1` };
    },
  },
  { method: 'GET', path: '/v1/teams/{id}/keys', expect: teamReaders(200), request: async (c) => ({ path: `/v1/teams/${orUnknown(c, (await teamWorld(c.w)).team)}/keys` }) },
  {
    method: 'GET', path: '/v1/teams/{id}/cases/{caseId}/key-links', expect: teamReaders(200),
    request: async (c) => {
      const { team, caseId } = await teamWorld(c.w);
      return { path: `/v1/teams/${orUnknown(c, team)}/cases/${orUnknown(c, caseId)}/key-links` };
    },
  },
  {
    method: 'POST', path: '/v1/teams/{id}/records', expect: teamWriters(201), writes: true,
    request: async (c) => {
      const { team, caseId } = await teamWorld(c.w);
      const json = await c.w.dryRun(c.w.owner, 'POST', /\/records$/, (v) => v.teams.writeRecord(team, caseId, { title: 'nuevo', narrative: 'n' }));
      return { path: `/v1/teams/${orUnknown(c, team)}/records`, json };
    },
  },
  { method: 'GET', path: '/v1/teams/{id}/records', expect: teamReaders(200), request: async (c) => ({ path: `/v1/teams/${orUnknown(c, (await teamWorld(c.w)).team)}/records` }) },
  {
    method: 'GET', path: '/v1/teams/{id}/records/{recordId}', expect: teamReaders(200),
    request: async (c) => {
      const { team, record } = await teamWorld(c.w);
      // At a given version (the latest when asked for none, through the same checks).
      return { path: `/v1/teams/${orUnknown(c, team)}/records/${orUnknown(c, record)}?version=1` };
    },
  },
  {
    method: 'POST', path: '/v1/teams/{id}/records/{recordId}/versions', expect: teamWriters(201), writes: true,
    request: async (c) => {
      const { team, caseId, record } = await teamWorld(c.w);
      const target = mine(c) ? (await c.w.owner.vault.teams.writeRecord(team, caseId, { title: 'otro', narrative: 'n' })).id : record;
      const json = await c.w.dryRun(c.w.owner, 'POST', /\/versions$/, (v) => v.teams.updateRecord(team, target, { place: 'Tapachula' }));
      return { path: `/v1/teams/${orUnknown(c, team)}/records/${orUnknown(c, target)}/versions`, json };
    },
  },
];
