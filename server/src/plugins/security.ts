import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { ERR } from '../errors.ts';

/** Security headers everywhere; rate limits only where a route opts in (authentication). */
export default fp(
  async (app) => {
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
