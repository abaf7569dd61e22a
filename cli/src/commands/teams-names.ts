import type { TeamRecord, Vault } from '@testimony-vault/client/node';
import type { Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import { SHORT_ID } from '../record-ref.ts';

// [Note: team and case names]
// The chain of a team names no team and no case (ids only: the server must not learn names).
// tvault keeps names as team records, encrypted like any testimony: `team create` writes one
// into the team's general space (tag tvault:team-name, the name as its title), `case create`
// one into the case (tag tvault:case-name, the case name as its title and the team's name
// as its narrative, so a reviewer, who reads only the case, can name the team too). Only a
// record signed by someone who signed a chain statement (a coordinator) names anything, the
// oldest one first; a member's record carrying the tag is listed as any other record.

export const TEAM_NAME_TAG = 'tvault:team-name';
export const CASE_NAME_TAG = 'tvault:case-name';
const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PREFIX = /^[0-9a-f][0-9a-f-]{5,}$/i;

/** A team's records as tvault reads them: names apart, testimonies in a list. */
export interface TeamContents {
  teamName: string | null;
  caseNames: Map<string, string>;
  /** Every other record, newest change first. */
  records: TeamRecord[];
}

export async function readTeam(vault: Vault, team: string, caseId?: string): Promise<TeamContents> {
  const signers = new Set((await vault.teams.history(team)).map((h) => h.by));
  const all = await vault.teams.listRecords(team, caseId ? { caseId } : {});
  const isName = (r: TeamRecord, tag: string) => signers.has(r.author.handle) && (r.fields.tags ?? []).includes(tag);
  const oldestFirst = [...all].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  let teamName: string | null = null;
  const caseNames = new Map<string, string>();
  for (const r of oldestFirst) {
    if (isName(r, TEAM_NAME_TAG) && r.caseId === team) teamName ??= r.fields.title;
    if (isName(r, CASE_NAME_TAG) && !caseNames.has(r.caseId)) {
      caseNames.set(r.caseId, r.fields.title);
      if (r.fields.narrative) teamName ??= r.fields.narrative;
    }
  }
  const records = all.filter((r) => !isName(r, TEAM_NAME_TAG) && !isName(r, CASE_NAME_TAG));
  return { teamName, caseNames, records };
}

/** The team's general space only, for its name (a reviewer has none: it reads its case). */
async function nameOf(vault: Vault, team: { id: string; role: string }): Promise<string | null> {
  return (await readTeam(vault, team.id, team.role === 'reviewer' ? undefined : team.id)).teamName;
}

/** Every team this account belongs to or reviews, with its name where one can be read. */
export async function namedTeams(vault: Vault): Promise<{ id: string; role: string; name: string | null }[]> {
  const out = [];
  for (const team of await vault.teams.list()) out.push({ ...team, name: await nameOf(vault, team).catch(() => null) });
  return out;
}

function pick<T>(c: Context, ref: string, matches: T[], line: (m: T) => string): T {
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new UsageError(c.t('team.refNone', { ref }));
  throw new UsageError(`${c.t('ref.several', { ref })}\n${matches.map((m) => `  ${line(m)}`).join('\n')}\n${c.t('ref.useId')}`);
}

const sameName = (a: string | null | undefined, b: string) => a != null && a.trim().toLocaleLowerCase() === b.trim().toLocaleLowerCase();

/** The id of the team `ref` names: its id, a unique prefix of it, or its name. */
export async function resolveTeam(c: Context, vault: Vault, ref: string): Promise<string> {
  if (FULL_ID.test(ref)) return ref.toLowerCase();
  const teams = await vault.teams.list();
  const byId = PREFIX.test(ref) ? teams.filter((t) => t.id.startsWith(ref.toLowerCase())) : [];
  if (byId.length) return pick(c, ref, byId, (t) => t.id).id;
  const named = await namedTeams(vault);
  return pick(c, ref, named.filter((t) => sameName(t.name, ref)), (t) => `${t.id}  ${t.name}`).id;
}

/** The id of the case `ref` names in the team: its id, a unique prefix, or its name. */
export function resolveCase(c: Context, caseIds: string[], names: Map<string, string>, ref: string): string {
  const byId = PREFIX.test(ref) ? caseIds.filter((id) => id.startsWith(ref.toLowerCase())) : [];
  const matches = byId.length ? byId : caseIds.filter((id) => sameName(names.get(id), ref));
  return pick(c, ref, matches, (id) => `${id}  ${names.get(id) ?? ''}`);
}

/** The id of the team record `ref` names: its id, a unique prefix, or its title. */
export function resolveTeamRecord(c: Context, records: TeamRecord[], ref: string): string {
  if (FULL_ID.test(ref)) return ref.toLowerCase();
  const byId = PREFIX.test(ref) ? records.filter((r) => r.id.startsWith(ref.toLowerCase())) : [];
  const matches = byId.length ? byId : records.filter((r) => sameName(r.fields.title, ref));
  return pick(c, ref, matches, (r) => `${r.id.slice(0, SHORT_ID)}  ${r.fields.title}  (${r.author.handle})`).id;
}
