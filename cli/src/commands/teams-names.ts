import { namedTeams, readTeam as readNames, type TeamContents, type TeamRecord, type Vault } from '@testimony-vault/client/node';
import type { Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import { SHORT_ID } from '../record-ref.ts';

// Names of teams and cases are the library's ([Note: team and case names] in
// client-lib/src/teams/names.ts): tvault reads them to resolve what the user typed.

const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PREFIX = /^[0-9a-f][0-9a-f-]{5,}$/i;

/** The team's names and testimonies, as the library splits them. */
export const readTeam = (vault: Vault, team: string, caseId?: string): Promise<TeamContents> => readNames(vault.teams, team, caseId);

/** A team or case name as typed: trimmed, and not empty. */
export function nameArg(c: Context, name: string): string {
  if (!name.trim()) throw new UsageError(c.t('team.nameEmpty'));
  return name.trim();
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
  const named = await namedTeams(vault.teams);
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
