import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findAccountById } from '../accounts/repository.ts';
import { checkVerifier, makeVerifier } from '../accounts/verifier.ts';
import { ERR } from '../errors.ts';
import { Bytes, Handle, Kdf, Strict, Timestamp, Uuid, decodeBytes, errors } from '../http/schemas.ts';
import { WRAPPED_KEY_BYTES } from '@testimony-vault/protocol';
import { callerOf } from '../plugins/auth.ts';
import { replacePassphrase } from '../accounts/passphrase.ts';
import { authRateLimited, checkKdfFloor } from './auth-shared.ts';

const account: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['account'];
  const security = [{ session: [] }];
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/',
    {
      schema: {
        summary: 'The account of the current session',
        tags,
        security,
        response: { 200: Type.Object({ id: Uuid, handle: Handle, isAdmin: Type.Boolean(), createdAt: Timestamp }), ...errors(401) },
      },
    },
    async (request) => {
      const row = await findAccountById(app.db, callerOf(request).accountId);
      if (!row) throw new ERR.UNAUTHENTICATED();
      return { id: row.id, handle: row.handle, isAdmin: row.is_admin, createdAt: row.created_at.toISOString() };
    },
  );

  app.post(
    '/passphrase',
    {
      ...authRateLimited(app.config),
      schema: {
        summary: 'Replace the passphrase: new salt, verifier and wrapped master key; ends the other sessions',
        tags,
        security,
        body: Strict({ currentLoginKey: Bytes(32), kdf: Kdf, loginKey: Bytes(32), wrappedMasterKey: Bytes(WRAPPED_KEY_BYTES) }),
        response: { 204: Type.Null(), ...errors(401, 429, 503) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const body = request.body;
      checkKdfFloor(app.config, body.kdf);
      const current = decodeBytes('currentLoginKey', body.currentLoginKey, 32);
      const next = decodeBytes('loginKey', body.loginKey, 32);
      const loginVerifier = await app.passwordWork.run(async () => {
        const row = await findAccountById(app.db, caller.accountId);
        return row && (await checkVerifier(row.login_verifier, current)) ? makeVerifier(next) : null;
      });
      if (loginVerifier === null) {
        // A session that does not know the passphrase (a stolen token, a stolen unlocked device) tried to take the account.
        await app.auditAlone(request, { action: 'account.passphrase-change', outcome: 'refused' });
        throw new ERR.BAD_CREDENTIALS();
      }
      await replacePassphrase(app.db, caller.accountId, { ...body, loginVerifier }, caller.sessionId, (trx) =>
        app.audit(trx, request, { action: 'account.passphrase-change', outcome: 'ok' }),
      );
      return reply.status(204).send(null);
    },
  );
};

export default account;
