import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createInvite } from '../accounts/invites.ts';
import { Strict, Timestamp, errors } from '../http/schemas.ts';
import { callerOf } from '../plugins/auth.ts';

const invites: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/',
    {
      onRequest: app.requireAdmin,
      schema: {
        summary: 'Administrators: make a single-use invite code (shown once)',
        tags: ['invites'],
        security: [{ session: [] }],
        body: Type.Optional(Strict({ expiresInSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 90 * 24 * 3600 })) })),
        response: { 201: Type.Object({ code: Type.String(), expiresAt: Timestamp }), ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const ttl = request.body?.expiresInSeconds ?? app.config.INVITE_TTL_SECONDS;
      const invite = await createInvite(app.db, callerOf(request).accountId, ttl);
      reply.status(201);
      return { code: invite.code, expiresAt: invite.expiresAt.toISOString() };
    },
  );
};

export default invites;
