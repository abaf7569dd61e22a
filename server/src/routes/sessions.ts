import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ERR } from '../errors.ts';
import { Strict, Timestamp, Uuid, errors } from '../http/schemas.ts';
import { callerOf } from '../plugins/auth.ts';
import { endSession, listSessions } from '../sessions/repository.ts';

const Session = Type.Object({
  id: Uuid,
  device: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  lastUsedAt: Timestamp,
  expiresAt: Timestamp,
  current: Type.Boolean(),
});

const sessions: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['sessions'];
  const security = [{ session: [] }];
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/',
    { schema: { summary: "The account's live sessions", tags, security, response: { 200: Type.Object({ sessions: Type.Array(Session) }), ...errors(401) } } },
    async (request) => {
      const caller = callerOf(request);
      const rows = await listSessions(app.db, caller.accountId);
      return {
        sessions: rows.map((r) => ({
          id: r.id,
          device: r.device,
          createdAt: r.created_at.toISOString(),
          lastUsedAt: r.last_used_at.toISOString(),
          expiresAt: r.expires_at.toISOString(),
          current: r.id === caller.sessionId,
        })),
      };
    },
  );

  app.delete(
    '/:id',
    {
      schema: {
        summary: 'End one of the sessions of this account',
        tags,
        security,
        params: Strict({ id: Uuid }),
        response: { 204: Type.Null(), ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      const ended = await app.db.transaction().execute(async (trx) => {
        if (!(await endSession(trx, callerOf(request).accountId, request.params.id))) return false;
        await app.audit(trx, request, { action: 'session.end', outcome: 'ok' });
        return true;
      });
      if (!ended) {
        // Another account's session (or one already ended): a refused attempt, logged as such.
        await app.auditAlone(request, { action: 'session.end', outcome: 'refused' });
        throw new ERR.NOT_FOUND();
      }
      return reply.status(204).send(null);
    },
  );
};

export default sessions;
