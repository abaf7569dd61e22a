import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { identityStatement, WRAPPED_KEY_BYTES } from '@testimony-vault/protocol';
import { anyAccountExists, findAccountByHandle, insertAccount, lockRegistrations } from '../accounts/repository.ts';
import { consumeInvite, markInviteUsedBy } from '../accounts/invites.ts';
import { preloginParams } from '../accounts/prelogin.ts';
import { replacePassphrase } from '../accounts/passphrase.ts';
import { checkDummy, checkVerifier, makeVerifier } from '../accounts/verifier.ts';
import { verifyEd25519 } from '../crypto/ed25519.ts';
import { ERR } from '../errors.ts';
import { Bytes, BytesOf, Handle, Kdf, PlainText, Strict, Token, Uuid, b64, decodeBytes, errors } from '../http/schemas.ts';
import { createSession, endSession } from '../sessions/repository.ts';
import { callerOf } from '../plugins/auth.ts';
import { authRateLimited, checkKdfFloor, loginResponse, LoginResponse, PRIVATE_KEYS_SIZES } from './auth-shared.ts';

const Account = Type.Object({ id: Uuid, handle: Handle, isAdmin: Type.Boolean() });

const RegisterBody = Strict({
  handle: Handle,
  inviteCode: Type.Optional(Token(64)),
  kdf: Kdf,
  loginKey: Bytes(32),
  wrappedMasterKey: Bytes(WRAPPED_KEY_BYTES),
  recoveryAuthKey: Bytes(32),
  recoveryWrappedMasterKey: Bytes(WRAPPED_KEY_BYTES),
  identity: Strict({ signPublicKey: Bytes(32), boxPublicKey: Bytes(32), signature: Bytes(64) }),
  wrappedPrivateKeys: BytesOf(PRIVATE_KEYS_SIZES),
});

const auth: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app;
  const limited = authRateLimited(config);
  const tags = ['authentication'];

  app.post(
    '/prelogin',
    {
      ...limited,
      schema: {
        summary: "A handle's key-derivation parameters (made-up but stable ones for unknown handles)",
        tags,
        body: Strict({ handle: Handle }),
        response: { 200: Type.Object({ kdf: Kdf }), ...errors(429) },
      },
    },
    async (request) => {
      const kdf = await preloginParams(app.db, request.body.handle);
      return { kdf: { ...kdf, salt: b64(kdf.salt) } };
    },
  );

  app.post(
    '/register',
    { ...limited, schema: { summary: 'Create an account', tags, body: RegisterBody, response: { 201: Type.Object({ account: Account }), ...errors(403, 409, 429, 503) } } },
    async (request, reply) => {
      const body = request.body;
      checkKdfFloor(config, body.kdf);
      const signPk = decodeBytes('identity.signPublicKey', body.identity.signPublicKey, 32);
      const boxPk = decodeBytes('identity.boxPublicKey', body.identity.boxPublicKey, 32);
      const signature = decodeBytes('identity.signature', body.identity.signature, 64);
      if (!verifyEd25519(signPk, identityStatement(body.handle, signPk, boxPk), signature)) throw new ERR.SIGNATURE_INVALID();
      const loginKey = decodeBytes('loginKey', body.loginKey, 32);
      const recoveryAuthKey = decodeBytes('recoveryAuthKey', body.recoveryAuthKey, 32);
      const verifiers = await app.passwordWork.run(async () => ({ login: await makeVerifier(loginKey), recovery: await makeVerifier(recoveryAuthKey) }));
      const values = {
        handle: body.handle,
        kdf_algorithm: body.kdf.algorithm,
        kdf_salt: decodeBytes('kdf.salt', body.kdf.salt, 16),
        kdf_ops_limit: body.kdf.opsLimit,
        kdf_mem_limit: body.kdf.memLimit,
        login_verifier: verifiers.login,
        wrapped_master_key: decodeBytes('wrappedMasterKey', body.wrappedMasterKey, WRAPPED_KEY_BYTES),
        recovery_verifier: verifiers.recovery,
        recovery_wrapped_master_key: decodeBytes('recoveryWrappedMasterKey', body.recoveryWrappedMasterKey, WRAPPED_KEY_BYTES),
        sign_public_key: signPk,
        box_public_key: boxPk,
        identity_signature: signature,
        wrapped_private_keys: decodeBytes('wrappedPrivateKeys', body.wrappedPrivateKeys, PRIVATE_KEYS_SIZES),
      };
      // [Note: registration lock]
      // In this order, in one transaction: the lock, the "first account?" check, the invite,
      // the insert. Deciding "first" before the lock would let registrations that race the
      // very first one skip the invite (and each become an administrator).
      const account = await app.db.transaction().execute(async (trx) => {
        await lockRegistrations(trx);
        const first = !(await anyAccountExists(trx));
        let inviteId: string | undefined;
        if (config.REGISTRATION === 'invite' && !first) {
          if (!body.inviteCode) throw new ERR.INVITE_REQUIRED();
          inviteId = await consumeInvite(trx, body.inviteCode);
          if (!inviteId) throw new ERR.INVITE_INVALID();
        }
        const row = await insertAccount(trx, { ...values, is_admin: first });
        if (!row) throw new ERR.HANDLE_TAKEN();
        if (inviteId) await markInviteUsedBy(trx, inviteId, row.id);
        await app.audit(trx, request, { action: 'account.register', outcome: 'ok', actor: { id: row.id, handle: row.handle } });
        return row;
      });
      reply.status(201);
      return { account: { id: account.id, handle: account.handle, isAdmin: account.is_admin } };
    },
  );

  app.post(
    '/login',
    {
      ...limited,
      schema: {
        summary: 'Exchange a login key for a session token and the wrapped key bundle',
        tags,
        // `device`: older clients sent the session's label here in the clear. It is checked and
        // ignored, never stored: labels are set encrypted afterwards (PUT /v1/sessions/current/label).
        body: Strict({ handle: Handle, loginKey: Bytes(32), device: Type.Optional(PlainText(100, 'ignored (older clients); see PUT /v1/sessions/current/label')) }),
        response: { 200: LoginResponse, ...errors(401, 429, 503) },
      },
    },
    async (request) => {
      const { handle, loginKey } = request.body;
      const key = decodeBytes('loginKey', loginKey, 32);
      const { account, ok } = await app.passwordWork.run(async () => {
        const account = await findAccountByHandle(app.db, handle);
        return { account, ok: account ? await checkVerifier(account.login_verifier, key) : await checkDummy(key) };
      });
      const actor = account ? { id: account.id, handle: account.handle } : null;
      if (!account || !ok) {
        // An unknown handle is logged without it: it may be a mistyped passphrase.
        await app.auditAlone(request, { action: 'account.login-failed', outcome: 'refused', actor });
        throw new ERR.BAD_CREDENTIALS();
      }
      const session = await app.db.transaction().execute(async (trx) => {
        const created = await createSession(trx, account.id, config.SESSION_TTL_SECONDS);
        await app.audit(trx, request, { action: 'account.login', outcome: 'ok', actor });
        return created;
      });
      return loginResponse(account, session);
    },
  );

  app.post(
    '/logout',
    { onRequest: app.authenticate, schema: { summary: 'End the current session', tags, security: [{ session: [] }], response: { 204: Type.Null(), ...errors(401) } } },
    async (request, reply) => {
      const caller = callerOf(request);
      await app.db.transaction().execute(async (trx) => {
        // Already ended by a request that raced this one (which logged it): nothing ended here, no event.
        if (await endSession(trx, caller.accountId, caller.sessionId)) await app.audit(trx, request, { action: 'session.end', outcome: 'ok' });
      });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/recover/start',
    {
      ...limited,
      schema: {
        summary: 'Prove the recovery key and receive the master key wrapped under it',
        tags,
        body: Strict({ handle: Handle, recoveryAuthKey: Bytes(32) }),
        response: { 200: Type.Object({ recoveryWrappedMasterKey: Bytes(WRAPPED_KEY_BYTES) }), ...errors(401, 429, 503) },
      },
    },
    async (request) => {
      const check = await app.passwordWork.run(() => checkRecovery(request.body.handle, request.body.recoveryAuthKey));
      const account = await provenOrRefused(request, 'account.recover-start', check);
      // Logged before the wrapped master key is handed out. [Note: reads are logged before they are served]
      await app.auditAlone(request, { action: 'account.recover-start', outcome: 'ok', actor: { id: account.id, handle: account.handle } });
      return { recoveryWrappedMasterKey: b64(account.recovery_wrapped_master_key) };
    },
  );

  app.post(
    '/recover/finish',
    {
      ...limited,
      schema: {
        summary: 'Set a new passphrase with the recovery key; ends every session',
        tags,
        body: Strict({ handle: Handle, recoveryAuthKey: Bytes(32), kdf: Kdf, loginKey: Bytes(32), wrappedMasterKey: Bytes(WRAPPED_KEY_BYTES) }),
        response: { 204: Type.Null(), ...errors(401, 429, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      checkKdfFloor(config, body.kdf);
      const loginKey = decodeBytes('loginKey', body.loginKey, 32);
      const { check, loginVerifier } = await app.passwordWork.run(async () => {
        const check = await checkRecovery(body.handle, body.recoveryAuthKey);
        return { check, loginVerifier: check.ok ? await makeVerifier(loginKey) : '' };
      });
      const account = await provenOrRefused(request, 'account.recover', check);
      await replacePassphrase(app.db, account.id, { ...body, loginVerifier }, null, (trx) =>
        app.audit(trx, request, { action: 'account.recover', outcome: 'ok', actor: { id: account.id, handle: account.handle } }),
      );
      return reply.status(204).send(null);
    },
  );

  /** Whether the recovery key proves the account; Argon2 work, so only inside app.passwordWork. */
  async function checkRecovery(handle: string, authKey: string) {
    const key = decodeBytes('recoveryAuthKey', authKey, 32);
    const account = await findAccountByHandle(app.db, handle);
    const ok = account ? await checkVerifier(account.recovery_verifier, key) : await checkDummy(key);
    return { account, ok };
  }

  /**
   * The account a recovery key proved; otherwise the attempt is logged (with the account when
   * the handle exists, as a failed login is) and refused with BAD_CREDENTIALS.
   */
  async function provenOrRefused(
    request: FastifyRequest, action: 'account.recover-start' | 'account.recover', check: Awaited<ReturnType<typeof checkRecovery>>,
  ) {
    if (check.account && check.ok) return check.account;
    const actor = check.account ? { id: check.account.id, handle: check.account.handle } : null;
    await app.auditAlone(request, { action, outcome: 'refused', actor });
    throw new ERR.BAD_CREDENTIALS();
  }
};

export default auth;
