import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ERR } from '../errors.ts';
import { Strict, Uuid, errors } from '../http/schemas.ts';
import { callerOf } from '../plugins/auth.ts';
import { HistoryPage, HistoryQuery, historyPage } from '../audit/history.ts';
import { mayReadCase, teamAccess } from '../teams/access.ts';

// The audit history of a team and of a case (docs/PROTOCOL.md "A case's audit history"):
// pages proven as a record's history pages are. A team's own events are those logged under
// its id (every statement, every refused team route); a case's are those and every event
// about a record of the case. Whoever may read the team's chain reads the first; members and
// the case's reviewers while their share is live read the second; anyone else gets the 404
// of a team they have nothing to do with, logged as other refused team routes are.

const teamsHistory: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['teams', 'audit'];
  const security = [{ session: [] }];
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/teams/:id/history',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: "One page of the team's own events (its statements, refused team routes) in the tree of a given size, with one multi-leaf proof (members and current reviewers)",
        tags,
        security,
        params: Strict({ id: Uuid }),
        querystring: HistoryQuery,
        response: { 200: HistoryPage, ...errors(401, 404) },
      },
    },
    async (request) => {
      const teamId = request.params.id;
      await teamAccess(app.db, teamId, callerOf(request).accountId);
      return historyPage(app.db, request.query, (eb) => eb('record_id', '=', teamId));
    },
  );

  app.get(
    '/teams/:id/cases/:caseId/history',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: "One page of a case's events (the team's own and every event about a record of the case) in the tree of a given size, with one multi-leaf proof (members; the case's reviewers)",
        tags,
        security,
        params: Strict({ id: Uuid, caseId: Uuid }),
        querystring: HistoryQuery,
        response: { 200: HistoryPage, ...errors(401, 404) },
      },
    },
    async (request) => {
      const { id: teamId, caseId } = request.params;
      const access = await teamAccess(app.db, teamId, callerOf(request).accountId);
      const known = await app.db.selectFrom('team_cases').select('case_id').where('team_id', '=', teamId).where('case_id', '=', caseId).executeTakeFirst();
      if (!known || !mayReadCase(access, caseId)) throw new ERR.NOT_FOUND();
      const records = app.db.selectFrom('team_records').select('id').where('team_id', '=', teamId).where('case_id', '=', caseId);
      return historyPage(app.db, request.query, (eb) => eb.or([eb('record_id', '=', teamId), eb('record_id', 'in', records)]));
    },
  );
};

export default teamsHistory;
