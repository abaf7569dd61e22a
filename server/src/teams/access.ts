import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { ERR } from '../errors.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface TeamAccess {
  /** The caller's role as a current member, or null. */
  role: string | null;
  /** Cases the caller reviews under a live share (not ended, end date not passed by the database's clock). */
  cases: string[];
}

/** A `team_reviewers` row whose share has not ended by the database's clock. */
export const shareIsLive = (eb: ExpressionBuilder<Database, 'team_reviewers'>) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]);

/** What the caller may do in a team; a team the caller has nothing to do with is a 404, like one that does not exist. */
export async function teamAccess(db: Db, teamId: string, accountId: string): Promise<TeamAccess> {
  const member = await db.selectFrom('team_members').select('role').where('team_id', '=', teamId).where('account_id', '=', accountId).executeTakeFirst();
  const cases = await db
    .selectFrom('team_reviewers')
    .select('case_id')
    .where('team_id', '=', teamId)
    .where('account_id', '=', accountId)
    .where(shareIsLive)
    .execute();
  if (!member && cases.length === 0) throw new ERR.NOT_FOUND();
  return { role: member?.role ?? null, cases: cases.map((c) => c.case_id) };
}

export function requireMember(a: TeamAccess): void {
  if (a.role === null) throw new ERR.FORBIDDEN();
}

export function mayReadCase(a: TeamAccess, caseId: string): boolean {
  return a.role !== null || a.cases.includes(caseId);
}
