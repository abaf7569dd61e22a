import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CASE_KEY_LIST_ENTRY_BYTES, TEAM_MAX_CASES, TEAM_STATEMENT_CLOCK_WINDOW_MS, TEAM_STATEMENT_MAX_BYTES, headSeq, parseTeamStatement, teamRecordVersionStatement, TEAM_STATEMENT_AUDIT_ACTION } from '@testimony-vault/protocol';
import { findAccountByHandle, findAccountById } from '../accounts/repository.ts';
import { verifyEd25519 } from '../crypto/ed25519.ts';
import { ERR } from '../errors.ts';
import { Bytes, BytesUpTo, Handle, Strict, Token, Uuid, b64, decodeBytes, errors } from '../http/schemas.ts';
import { callerOf } from '../plugins/auth.ts';
import { mayReadCase, requireMember, shareIsLive, teamAccess } from '../teams/access.ts';
import { extendChain, loadTeamState, storeDerived, storedChain } from '../teams/chain.ts';
import { SEALED_TEAM_KEY_BYTES, SHARED_CASE_KEY_BYTES, WRAPPED_CASE_KEY_BYTES, checkKeyMaterial, storeKeyMaterial } from '../teams/keys.ts';
import { TEAM_PAGE, TeamRecordWire, decodeTeamCursor, encodeTeamCursor, latestTeamVersions, teamRecordToWire, teamRecordVersion } from '../teams/records.ts';
import { Version } from './records/schemas.ts';

// Teams (docs/PROTOCOL.md "Teams"): the chain of signed membership statements, the key
// material clients sealed and wrapped, and team records. The server authorizes from what it
// replayed of the chain ([Note: the server replays the chain]); clients trust only their own replay.

const AUDIT_OF = TEAM_STATEMENT_AUDIT_ACTION;

const Epoch = Type.Integer({ minimum: 1, maximum: 2147483647 });
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

const teams: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['teams'];
  const security = [{ session: [] }];
  const maxBody = app.config.RECORD_MAX_BYTES;
  const Body = BytesUpTo(maxBody, 'envelope of the padded body under the record key');
  const recordBodyLimit = Math.ceil((maxBody * 4) / 3) + 64 * 1024;
  const TeamParams = Strict({ id: Uuid });
  const RecordParams = Strict({ id: Uuid, recordId: Uuid });
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/teams',
    {
      schema: {
        summary: 'The teams the caller is a member of, or reviews a case of',
        tags,
        security,
        response: { 200: Type.Object({ teams: Type.Array(Type.Object({ id: Uuid, role: Type.String(), headSeq: Type.Integer() })) }), ...errors(401) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const member = await app.db
        .selectFrom('team_members')
        .innerJoin('teams', 'teams.id', 'team_members.team_id')
        .select(['teams.id', 'team_members.role', 'teams.head_seq'])
        .where('team_members.account_id', '=', caller.accountId)
        .execute();
      const reviewing = await app.db
        .selectFrom('team_reviewers')
        .innerJoin('teams', 'teams.id', 'team_reviewers.team_id')
        .select(['teams.id', 'teams.head_seq'])
        .distinct()
        .where('team_reviewers.account_id', '=', caller.accountId)
        // A share that ended by its date lists the team no more than it opens it.
        .where(shareIsLive)
        .execute();
      const seen = new Set(member.map((m) => m.id));
      return {
        teams: [
          ...member.map((m) => ({ id: m.id, role: m.role, headSeq: m.head_seq })),
          ...reviewing.filter((r) => !seen.has(r.id)).map((r) => ({ id: r.id, role: 'reviewer', headSeq: r.head_seq })),
        ],
      };
    },
  );

  app.post(
    '/teams/:id/statements',
    {
      // Logged under the team id as a refused write, not a statement's action: the check of the
      // team's statement events matches only those ([Note: a case's events]).
      config: { auditRefusal: 'record.update' },
      // A removal in a team of TEAM_MAX_CASES cases: a wrapped key and a link per case, and the list.
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        summary: 'Append a signed membership statement and the keys it needs (a coordinator; anyone for the creation at seq 0)',
        tags,
        security,
        params: TeamParams,
        body: Strict({
          statement: Type.String({ minLength: 2, maxLength: TEAM_STATEMENT_MAX_BYTES, description: 'the JSON text, exactly as signed' }),
          signature: Bytes(64, 'Ed25519 by the signer over tvault/v1/team-statement ‖ statement'),
          teamKeys: Type.Array(Strict({ handle: Handle, teamEpoch: Epoch, sealed: Bytes(SEALED_TEAM_KEY_BYTES) }), { maxItems: 10_000 }),
          caseKeys: Type.Array(Strict({ caseId: Uuid, caseEpoch: Epoch, teamEpoch: Epoch, wrapped: Bytes(WRAPPED_CASE_KEY_BYTES) }), { maxItems: TEAM_MAX_CASES }),
          caseKeyLinks: Type.Optional(
            Type.Array(Strict({ caseId: Uuid, caseEpoch: Epoch, wrapped: Bytes(WRAPPED_CASE_KEY_BYTES, "the previous epoch's case key under this epoch's") }), { maxItems: TEAM_MAX_CASES }),
          ),
          caseKeyList: Type.Optional(
            Type.Union([Type.Null(), BytesUpTo(TEAM_MAX_CASES * CASE_KEY_LIST_ENTRY_BYTES, "a removal's new case epochs (case id ‖ u32be(epoch) ‖ commitment), as its signed digest names them")]),
          ),
          shareKeys: Type.Array(Strict({ caseId: Uuid, caseEpoch: Epoch, handle: Handle, sealed: Bytes(SHARED_CASE_KEY_BYTES) }), { maxItems: 10_000 }),
        }),
        response: { 201: Type.Object({ seq: Type.Integer() }), ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const teamId = request.params.id;
      const b = request.body;
      const signature = decodeBytes('signature', b.signature, 64);
      const keys = {
        teamKeys: b.teamKeys.map((k) => ({ ...k, sealed: decodeBytes('sealed', k.sealed, SEALED_TEAM_KEY_BYTES) })),
        caseKeys: b.caseKeys.map((k) => ({ ...k, wrapped: decodeBytes('wrapped', k.wrapped, WRAPPED_CASE_KEY_BYTES) })),
        caseKeyLinks: (b.caseKeyLinks ?? []).map((k) => ({ ...k, wrapped: decodeBytes('wrapped', k.wrapped, WRAPPED_CASE_KEY_BYTES) })),
        shareKeys: b.shareKeys.map((k) => ({ ...k, sealed: decodeBytes('sealed', k.sealed, SHARED_CASE_KEY_BYTES) })),
      };
      const caseKeyList = b.caseKeyList ? decodeBytes('caseKeyList', b.caseKeyList) : null;
      const seq = await app.db.transaction().execute(async (trx) => {
        const team = await trx.selectFrom('teams').select('head_seq').where('id', '=', teamId).forUpdate().executeTakeFirst();
        if (team) {
          const access = await teamAccess(trx, teamId, caller.accountId);
          if (access.role !== 'coordinator') throw new ERR.FORBIDDEN();
        } else {
          // Only a team's creation names a team that does not exist yet; anything else is about no team.
          if (!isCreation(b.statement, teamId)) throw new ERR.NOT_FOUND();
          await refuseLoggedId(trx, teamId);
          const inserted = await trx.insertInto('teams').values({ id: teamId, head_seq: 0 }).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
          if (!inserted) throw new ERR.VERSION_CONFLICT();
        }
        const state = team ? await loadTeamState(trx, teamId) : null;
        const { state: next, statement } = extendChain(state, teamId, b.statement, signature, caseKeyList);
        // The signer is the caller, with the keys its account has; a subject is an account with the keys named.
        const me = await findAccountById(trx, caller.accountId);
        if (!me || statement.by !== me.handle) throw new ERR.FORBIDDEN();
        if (statement.subject) {
          const subject = await findAccountByHandle(trx, statement.subject.handle);
          if (!subject || !subject.sign_public_key.equals(statement.subject.signPublicKey) || !subject.box_public_key.equals(statement.subject.boxPublicKey)) {
            throw new ERR.UNKNOWN_USER();
          }
        }
        if (Math.abs(statement.at - Date.now()) > TEAM_STATEMENT_CLOCK_WINDOW_MS) throw new ERR.VALIDATION('a statement is signed within 10 minutes of the server clock');
        if (statement.expiresAt !== null && statement.expiresAt <= Date.now()) throw new ERR.VALIDATION('a share ends in the future');
        checkKeyMaterial(next, statement, keys);
        await trx.insertInto('team_statements').values({ team_id: teamId, seq: statement.seq, body: b.statement, signature, case_key_list: caseKeyList }).execute();
        await storeKeyMaterial(trx, teamId, keys);
        await storeDerived(trx, next);
        await app.audit(trx, request, { action: AUDIT_OF[statement.action], outcome: 'ok', recordId: teamId, subject: statement.subject?.handle ?? null });
        return headSeq(next);
      });
      reply.status(201);
      return { seq };
    },
  );

  app.get(
    '/teams/:id/statements',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: "The team's chain of statements from `from`, oldest first (members and current reviewers)",
        tags,
        security,
        params: TeamParams,
        querystring: Strict({ from: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })) }),
        response: {
          200: Type.Object({
            statements: Type.Array(
              Type.Object({
                seq: Type.Integer(),
                statement: Type.String(),
                signature: Bytes(64),
                caseKeyList: Type.Union([Type.String({ description: "a removal's list of new case epochs, as stored beside it" }), Type.Null()]),
              }),
            ),
          }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => {
      await teamAccess(app.db, request.params.id, callerOf(request).accountId);
      const rows = await storedChain(app.db, request.params.id, request.query.from ?? 0);
      return { statements: rows.map((r) => ({ seq: r.seq, statement: r.body, signature: b64(r.signature), caseKeyList: r.case_key_list && b64(r.case_key_list) })) };
    },
  );

  app.get(
    '/teams/:id/cases/:caseId/key-links',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: "A case's key links, newest epoch first: each epoch's key wrapped under the next one's (members; a reviewer of the case)",
        tags,
        security,
        params: Strict({ id: Uuid, caseId: Uuid }),
        response: {
          200: Type.Object({ links: Type.Array(Type.Object({ caseEpoch: Epoch, wrapped: Bytes(WRAPPED_CASE_KEY_BYTES) })) }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => {
      const { id: teamId, caseId } = request.params;
      const access = await teamAccess(app.db, teamId, callerOf(request).accountId);
      if (!mayReadCase(access, caseId)) throw new ERR.NOT_FOUND();
      const links = await app.db
        .selectFrom('team_case_key_links')
        .select(['case_epoch', 'wrapped'])
        .where('team_id', '=', teamId)
        .where('case_id', '=', caseId)
        .orderBy('case_epoch', 'desc')
        .execute();
      return { links: links.map((l) => ({ caseEpoch: l.case_epoch, wrapped: b64(l.wrapped) })) };
    },
  );

  app.get(
    '/teams/:id/keys',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: "The caller's sealed team keys and the case keys wrapped under the newest of them (members), or the case keys shared with it (reviewers)",
        tags,
        security,
        params: TeamParams,
        response: {
          200: Type.Object({
            teamKeys: Type.Array(Type.Object({ teamEpoch: Epoch, sealed: Bytes(SEALED_TEAM_KEY_BYTES) })),
            caseKeys: Type.Array(Type.Object({ caseId: Uuid, caseEpoch: Epoch, teamEpoch: Epoch, wrapped: Bytes(WRAPPED_CASE_KEY_BYTES) })),
            shareKeys: Type.Array(Type.Object({ caseId: Uuid, caseEpoch: Epoch, sealed: Bytes(SHARED_CASE_KEY_BYTES) })),
          }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const teamId = request.params.id;
      const access = await teamAccess(app.db, teamId, caller.accountId);
      const teamKeys = access.role === null ? [] : await app.db.selectFrom('team_keys').select(['team_epoch', 'sealed']).where('team_id', '=', teamId).where('account_id', '=', caller.accountId).orderBy('team_epoch').execute();
      const newest = teamKeys[teamKeys.length - 1]?.team_epoch;
      const caseKeys = newest === undefined ? [] : await app.db.selectFrom('team_case_keys').selectAll().where('team_id', '=', teamId).where('team_epoch', '=', newest).execute();
      const shareKeys = access.cases.length === 0 ? [] : await app.db.selectFrom('team_share_keys').selectAll().where('team_id', '=', teamId).where('account_id', '=', caller.accountId).where('case_id', 'in', access.cases).execute();
      return {
        teamKeys: teamKeys.map((k) => ({ teamEpoch: k.team_epoch, sealed: b64(k.sealed) })),
        caseKeys: caseKeys.map((k) => ({ caseId: k.case_id, caseEpoch: k.case_epoch, teamEpoch: k.team_epoch, wrapped: b64(k.wrapped) })),
        shareKeys: shareKeys.map((k) => ({ caseId: k.case_id, caseEpoch: k.case_epoch, sealed: b64(k.sealed) })),
      };
    },
  );

  const VersionFields = {
    caseEpoch: Epoch,
    chainSeq: Type.Integer({ minimum: 0, maximum: 2147483647 }),
    chainHead: Bytes(32),
    wrappedKey: Bytes(WRAPPED_CASE_KEY_BYTES, 'the record key wrapped under the case key'),
    body: Body,
    signature: Bytes(64),
  };

  /**
   * A team's id and a team record's id name its events in the audit log, as a personal
   * record's id does: an id the log already names (anyone's record, team or deleted record)
   * is refused as the personal record create route refuses it, so no one's history is mixed
   * into another's.
   */
  async function refuseLoggedId(trx: Transaction<Database>, id: string): Promise<void> {
    const known = await trx.selectFrom('audit_events').select('idx').where('record_id', '=', id).limit(1).executeTakeFirst();
    if (known) throw new ERR.RECORD_EXISTS();
  }

  /** Checks and stores one version of a team record written by a current member (in `trx`, the record locked). */
  async function writeVersion(
    trx: Transaction<Database>,
    request: FastifyRequest,
    teamId: string,
    v: { recordId: string; caseId: string; version: number; caseEpoch: number; chainSeq: number; chainHead: string; wrappedKey: string; body: string; signature: string },
  ): Promise<void> {
    const caller = callerOf(request);
    const team = await trx.selectFrom('teams').select(['head_seq', 'head_hash']).where('id', '=', teamId).forShare().executeTakeFirst();
    if (!team) throw new ERR.NOT_FOUND();
    requireMember(await teamAccess(trx, teamId, caller.accountId));
    const c = await trx.selectFrom('team_cases').select('current_epoch').where('team_id', '=', teamId).where('case_id', '=', v.caseId).executeTakeFirst();
    if (!c) throw new ERR.NOT_FOUND();
    const head = decodeBytes('chainHead', v.chainHead, 32);
    // Written under the newest chain and case epoch, so a rotation is never written around.
    if (v.chainSeq !== team.head_seq || !head.equals(team.head_hash) || v.caseEpoch !== c.current_epoch) throw new ERR.VERSION_CONFLICT();
    const wrappedKey = decodeBytes('wrappedKey', v.wrappedKey, WRAPPED_CASE_KEY_BYTES);
    const body = decodeBytes('body', v.body);
    if (body.length > maxBody) throw new ERR.BODY_TOO_LARGE();
    const signature = decodeBytes('signature', v.signature, 64);
    const author = await findAccountById(trx, caller.accountId);
    if (!author) throw new ERR.UNAUTHENTICATED();
    const statement = teamRecordVersionStatement({
      team: teamId, caseId: v.caseId, recordId: v.recordId, version: v.version, caseEpoch: v.caseEpoch,
      chainSeq: v.chainSeq, chainHead: head, wrappedKeyHash: sha256(wrappedKey), bodyHash: sha256(body),
    });
    if (!verifyEd25519(author.sign_public_key, statement, signature)) throw new ERR.SIGNATURE_INVALID();
    await trx
      .insertInto('team_record_versions')
      .values({ record_id: v.recordId, version: v.version, case_epoch: v.caseEpoch, chain_seq: v.chainSeq, chain_head: head, author_id: author.id, wrapped_key: wrappedKey, body, signature })
      .execute();
  }

  app.post(
    '/teams/:id/records',
    {
      config: { auditRefusal: 'record.create' },
      bodyLimit: recordBodyLimit,
      schema: {
        summary: "Write a team record's first version into a case (members)",
        tags,
        security,
        params: TeamParams,
        body: Strict({ id: Uuid, caseId: Uuid, ...VersionFields }),
        response: { 201: Type.Object({ id: Uuid, version: Version }), ...errors(401, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      await app.db.transaction().execute(async (trx) => {
        requireMember(await teamAccess(trx, request.params.id, callerOf(request).accountId));
        await refuseLoggedId(trx, b.id);
        const inserted = await trx
          .insertInto('team_records')
          .values({ id: b.id, team_id: request.params.id, case_id: b.caseId, current_version: 1 })
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) throw new ERR.RECORD_EXISTS();
        await writeVersion(trx, request, request.params.id, { ...b, recordId: b.id, version: 1 });
        await app.audit(trx, request, { action: 'record.create', outcome: 'ok', recordId: b.id });
      });
      reply.status(201);
      return { id: b.id, version: 1 };
    },
  );

  app.post(
    '/teams/:id/records/:recordId/versions',
    {
      config: { auditRefusal: 'record.update' },
      bodyLimit: recordBodyLimit,
      schema: {
        summary: 'Write the next version of a team record (members), under the current case key',
        tags,
        security,
        params: RecordParams,
        body: Strict({ version: Version, ...VersionFields }),
        response: { 201: Type.Object({ id: Uuid, version: Version }), ...errors(401, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { id: teamId, recordId } = request.params;
      await app.db.transaction().execute(async (trx) => {
        const record = await trx.selectFrom('team_records').selectAll().where('id', '=', recordId).where('team_id', '=', teamId).forUpdate().executeTakeFirst();
        if (!record) {
          await teamAccess(trx, teamId, callerOf(request).accountId);
          throw new ERR.NOT_FOUND();
        }
        if (b.version !== record.current_version + 1) {
          requireMember(await teamAccess(trx, teamId, callerOf(request).accountId));
          throw new ERR.VERSION_CONFLICT();
        }
        await writeVersion(trx, request, teamId, { ...b, recordId, caseId: record.case_id });
        await trx.updateTable('team_records').set({ current_version: b.version, updated_at: new Date() }).where('id', '=', recordId).execute();
        await app.audit(trx, request, { action: 'record.update', outcome: 'ok', recordId });
      });
      reply.status(201);
      return { id: recordId, version: b.version };
    },
  );

  app.get(
    '/teams/:id/records/:recordId',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: 'One version of a team record, the latest by default (members; a reviewer of its case)',
        tags,
        security,
        params: RecordParams,
        querystring: Strict({ version: Type.Optional(Version) }),
        response: { 200: TeamRecordWire, ...errors(401, 404) },
      },
    },
    async (request) => {
      const { id: teamId, recordId } = request.params;
      const access = await teamAccess(app.db, teamId, callerOf(request).accountId);
      // A version that does not exist is a 404, as a record that does not exist is.
      const row = await teamRecordVersion(app.db, teamId, recordId, request.query.version);
      if (!row || !mayReadCase(access, row.case_id)) throw new ERR.NOT_FOUND();
      await app.auditAlone(request, { action: 'record.read', outcome: 'ok', recordId });
      return teamRecordToWire(teamId, row);
    },
  );

  app.get(
    '/teams/:id/records',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: "The latest version of a team's records, newest change first, 100 a page (members; a reviewer: its cases only)",
        tags,
        security,
        params: TeamParams,
        querystring: Strict({ caseId: Type.Optional(Uuid), cursor: Type.Optional(Token(200)) }),
        response: { 200: Type.Object({ records: Type.Array(TeamRecordWire), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors(401, 404) },
      },
    },
    async (request) => {
      const teamId = request.params.id;
      const access = await teamAccess(app.db, teamId, callerOf(request).accountId);
      const caseId = request.query.caseId;
      const cases = access.role !== null ? (caseId ? [caseId] : null) : access.cases.filter((c) => caseId === undefined || c === caseId);
      const after = request.query.cursor === undefined ? undefined : decodeTeamCursor(request.query.cursor);
      if (request.query.cursor !== undefined && !after) throw new ERR.VALIDATION('cursor is not one this server made');
      const rows = cases !== null && cases.length === 0 ? [] : await latestTeamVersions(app.db, teamId, { cases, ...(after ? { after } : {}) });
      if (rows.length > 0) await app.auditManyAlone(request, rows.map((r) => ({ action: 'record.read' as const, outcome: 'ok' as const, recordId: r.id })));
      const last = rows[rows.length - 1];
      return {
        records: rows.map((r) => teamRecordToWire(teamId, r)),
        nextCursor: last && rows.length === TEAM_PAGE ? encodeTeamCursor({ at: last.updated_at, id: last.id }) : null,
      };
    },
  );
};

function isCreation(json: string, teamId: string): boolean {
  try {
    const st = parseTeamStatement(json);
    return st.seq === 0 && st.action === 'create' && st.team === teamId;
  } catch {
    return false;
  }
}

export default teams;
