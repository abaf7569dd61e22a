import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ERR } from '../errors.ts';
import { ENVELOPE_V1, SESSION_LABEL_ENVELOPE_BYTES } from '@testimony-vault/protocol';
import { BytesUpTo, Strict, Timestamp, Uuid, b64, errors } from '../http/schemas.ts';
import { callerOf } from '../plugins/auth.ts';
import { endSession, listSessions, setSessionLabel } from '../sessions/repository.ts';

// Session labels (a device's name in the list) are ciphertext the client made under a key
// of the account's master key, bound to the account and the session (docs/PROTOCOL.md
// "Session labels"): the server stores and returns them, and can read none.
const LabelText = BytesUpTo(SESSION_LABEL_ENVELOPE_BYTES, 'the encrypted label, base64url');

function decodeLabel(text: string): Buffer {
  const label = Buffer.from(text, 'base64url');
  if (label.toString('base64url') !== text || label.length !== SESSION_LABEL_ENVELOPE_BYTES || label[0] !== ENVELOPE_V1) {
    throw new ERR.SESSION_LABEL_INVALID(SESSION_LABEL_ENVELOPE_BYTES);
  }
  return label;
}

const Session = Type.Object({
  id: Uuid,
  label: Type.Union([LabelText, Type.Null()]),
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
          label: r.label === null ? null : b64(r.label),
          createdAt: r.created_at.toISOString(),
          lastUsedAt: r.last_used_at.toISOString(),
          expiresAt: r.expires_at.toISOString(),
          current: r.id === caller.sessionId,
        })),
      };
    },
  );

  app.put(
    '/current/label',
    {
      schema: {
        summary: "Set this session's encrypted label",
        tags,
        security,
        body: Strict({ label: LabelText }),
        response: { 204: Type.Null(), ...errors(401) },
      },
    },
    async (request, reply) => {
      await setSessionLabel(app.db, callerOf(request).sessionId, decodeLabel(request.body.label));
      return reply.status(204).send(null);
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
