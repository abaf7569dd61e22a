import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { ERR } from '../errors.ts';
import { findLiveSession } from '../sessions/repository.ts';
import { TOKEN_PATTERN } from '../sessions/tokens.ts';

export interface Caller {
  accountId: string;
  handle: string;
  isAdmin: boolean;
  sessionId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyInstance {
    /** preHandler: requires a live session and sets request.caller. */
    authenticate(request: FastifyRequest): Promise<void>;
    /** preHandler: requires an administrator's session. */
    requireAdmin(request: FastifyRequest): Promise<void>;
  }
}

/** The caller of an authenticated route (the preHandler guarantees it is set). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new ERR.UNAUTHENTICATED();
  return request.caller;
}

const TOUCH_INTERVAL_MS = 60_000;

export default fp(
  async (app) => {
    app.decorateRequest('caller', null);

    app.decorate('authenticate', async (request: FastifyRequest) => {
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      if (!TOKEN_PATTERN.test(token)) throw new ERR.UNAUTHENTICATED();
      const row = await findLiveSession(app.db, token);
      if (!row) throw new ERR.UNAUTHENTICATED();
      request.caller = { accountId: row.accountId, handle: row.handle, isAdmin: row.is_admin, sessionId: row.sessionId };
      // "Last used" is shown in the session list; updating it at most once a minute
      // keeps reads from turning into writes.
      if (Date.now() - row.last_used_at.getTime() > TOUCH_INTERVAL_MS) {
        await app.db.updateTable('sessions').set({ last_used_at: new Date() }).where('id', '=', row.sessionId).execute();
      }
    });

    app.decorate('requireAdmin', async (request: FastifyRequest) => {
      await app.authenticate(request);
      if (!request.caller?.isAdmin) throw new ERR.FORBIDDEN();
    });
  },
  { name: 'auth', dependencies: ['database'] },
);
