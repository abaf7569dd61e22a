import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { ERR } from '../errors.ts';

/** Security headers everywhere; rate limits only where a route opts in (authentication). */
export default fp(
  async (app) => {
    app.addHook('onRequest', async (request) => {
      // A client gone before its request is routed leaves no address: the rate limit's key
      // (the address) would throw, and a 500 be logged for an answer nobody can receive.
      if (request.ip === undefined) throw new ERR.VALIDATION('the connection closed before the request was read');
      // HTTP/1.1 requires Host (RFC 9112 §3.2). Node's own refusal has no body, so it is
      // turned off (app.ts) and made here, in the shape of every other error.
      if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) throw new ERR.VALIDATION('a Host header is required');
    });
    await app.register(helmet, { global: true });
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
