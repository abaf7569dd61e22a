import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { ERR } from '../errors.ts';
import { POLICY_HEADERS } from '../http/security-headers.ts';

/** Security headers everywhere; rate limits only where a route opts in (authentication). */
export default fp(
  async (app) => {
    // First of all hooks, so that a request refused by the next hook carries them too.
    app.addHook('onRequest', async (_request, reply) => {
      reply.headers(POLICY_HEADERS);
    });
    app.addHook('onRequest', async (request) => {
      // A client gone before its request is routed leaves no address: the rate limit's key
      // (the address) would throw, and a 500 be logged for an answer nobody can receive.
      if (request.ip === undefined) throw new ERR.VALIDATION('the connection closed before the request was read');
      // HTTP/1.1 requires Host (RFC 9112 §3.2). Node's own refusal has no body, so it is
      // turned off (app.ts) and made here, in the shape of every other error.
      if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) throw new ERR.VALIDATION('a Host header is required');
    });
    // Helmet adds its other defaults (HSTS, Cross-Origin-Resource-Policy, Origin-Agent-Cluster…).
    // The headers above are ours, not its: the policy is one string sent verbatim ([Note: one
    // policy on every response]), which helmet would rebuild from directives.
    await app.register(helmet, {
      global: true,
      contentSecurityPolicy: false,
      crossOriginOpenerPolicy: false,
      referrerPolicy: false,
      xContentTypeOptions: false,
      frameguard: { action: 'deny' },
    });
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_req, ctx) => {
        const e = new ERR.RATE_LIMITED();
        return { statusCode: ctx.statusCode, code: e.code, message: e.message };
      },
    });
  },
  { name: 'security' },
);
