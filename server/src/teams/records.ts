import { Type } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { Bytes, Identity, Uuid, b64 } from '../http/schemas.ts';
import { identityToWire } from '../sharing/wire.ts';

/** A team record's version as served (docs/PROTOCOL.md "Team records"). */
export const TeamRecordWire = Type.Object({
  id: Uuid,
  teamId: Uuid,
  caseId: Uuid,
  version: Type.Integer(),
  latestVersion: Type.Integer(),
  caseEpoch: Type.Integer(),
  chainSeq: Type.Integer(),
  chainHead: Bytes(32),
  wrappedKey: Type.String(),
  body: Type.String(),
  signature: Bytes(64),
  author: Identity,
});

/** Pages of team records: newest change first, keyed by (updated_at, id). */
export const TEAM_PAGE = 100;

export interface TeamCursor {
  at: Date;
  id: string;
}

export function encodeTeamCursor(c: TeamCursor): string {
  return Buffer.from(`${c.at.getTime()}.${c.id}`).toString('base64url');
}

/** The cursor's position, or undefined when it is not one this server made. */
export function decodeTeamCursor(text: string): TeamCursor | undefined {
  const m = /^(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  return m ? { at: new Date(Number(m[1])), id: m[2]! } : undefined;
}

/**
 * Versions of a team's records with their authors: each record's current version, or the
 * version numbered `version` (a record without it gives no row).
 */
function teamVersions(db: Kysely<Database>, teamId: string, version?: number) {
  return db
    .selectFrom('team_records as r')
    .innerJoin('team_record_versions as v', (j) => {
      const on = j.onRef('v.record_id', '=', 'r.id');
      return version === undefined ? on.onRef('v.version', '=', 'r.current_version') : on.on('v.version', '=', version);
    })
    .innerJoin('accounts as a', 'a.id', 'v.author_id')
    .select([
      'r.id', 'r.case_id', 'r.current_version', 'v.version', 'v.case_epoch', 'v.chain_seq', 'v.chain_head', 'v.wrapped_key', 'v.body', 'v.signature',
      'a.handle', 'a.sign_public_key', 'a.box_public_key', 'a.identity_signature',
    ])
    .where('r.team_id', '=', teamId);
}

export async function latestTeamVersions(db: Kysely<Database>, teamId: string, where: { recordId?: string; cases?: string[] | null; after?: TeamCursor }) {
  let q = teamVersions(db, teamId);
  if (where.recordId) q = q.where('r.id', '=', where.recordId);
  if (where.cases) q = q.where('r.case_id', 'in', where.cases);
  const after = where.after;
  if (after) q = q.where((eb) => eb.or([eb('r.updated_at', '<', after.at), eb.and([eb('r.updated_at', '=', after.at), eb('r.id', '<', after.id)])]));
  return q.select('r.updated_at').orderBy('r.updated_at', 'desc').orderBy('r.id', 'desc').limit(TEAM_PAGE).execute();
}

/** One version of one team record (the latest when `version` is undefined), or undefined. */
export async function teamRecordVersion(db: Kysely<Database>, teamId: string, recordId: string, version?: number) {
  return teamVersions(db, teamId, version).where('r.id', '=', recordId).executeTakeFirst();
}

type Row = NonNullable<Awaited<ReturnType<typeof teamRecordVersion>>>;

export function teamRecordToWire(teamId: string, r: Row) {
  return {
    id: r.id,
    teamId,
    caseId: r.case_id,
    version: r.version,
    latestVersion: r.current_version,
    caseEpoch: r.case_epoch,
    chainSeq: r.chain_seq,
    chainHead: b64(r.chain_head),
    wrappedKey: b64(r.wrapped_key),
    body: b64(r.body),
    signature: b64(r.signature),
    author: identityToWire(r),
  };
}
