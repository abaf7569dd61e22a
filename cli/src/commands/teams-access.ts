import type { TeamInfo, TeamRole, Vault } from '@testimony-vault/client/node';
import type { Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import { compareSafetyNumber } from '../contact-check.ts';

/** Options of the commands that give a person keys: a team's (`team add`) or a case's (`case share`). */
export interface TrustOptions {
  unverified?: boolean;
  confirm?: string;
}

/**
 * Compares the person's safety number as `tvault contact` does; a person never verified is
 * refused unless --unverified says the key the server gives is trusted. True if verified.
 */
export async function trustPerson(c: Context, vault: Vault, handle: string, opts: TrustOptions, risk: 'team.unverified' | 'case.unverified'): Promise<boolean> {
  const verified = await compareSafetyNumber(c, vault, handle, opts.confirm);
  if (!verified && !opts.unverified) throw new UsageError(c.t(risk, { handle }));
  return verified;
}

/** The team's verified state, refused in the user's words when this account does not coordinate it. */
export async function asCoordinator(c: Context, vault: Vault, team: string): Promise<TeamInfo> {
  const info = await vault.teams.info(team);
  if (info.myRole !== 'coordinator') throw new UsageError(c.t('team.notCoordinator', { team }));
  return info;
}

/**
 * [Note: a team is only as trusted as who added you] (client-lib), said in the user's words
 * before the library would refuse a write: whoever added this account must be verified, unless
 * the user accepts the risk (--unverified).
 */
export function refuseUnverifiedAdder(c: Context, info: TeamInfo, team: string, unverified: boolean | undefined): void {
  const adder = info.addedBy;
  if (adder && !adder.verified && !unverified) throw new UsageError(c.t('case.adderUnverified', { adder: adder.handle, team }));
}

export function parseRole(c: Context, role: string): TeamRole {
  if (role === 'coordinator' || role === 'member') return role;
  throw new UsageError(c.t('team.badRole', { role }));
}

/** A current member's handle as the chain has it, refused in the user's words otherwise. */
export function memberOf(c: Context, info: TeamInfo, handle: string): string {
  const h = handle.trim().toLowerCase();
  if (!info.members.some((m) => m.handle === h)) throw new UsageError(c.t('team.notMember', { handle, team: info.id }));
  return h;
}
