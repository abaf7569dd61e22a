import fp from 'fastify-plugin';
import { PasswordWorkGate } from '../accounts/password-work.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The gate every Argon2 computation passes ([Note: password work admission]). */
    passwordWork: PasswordWorkGate;
  }
}

export default fp(
  async (app) => {
    const { AUTH_ARGON2_CONCURRENCY, AUTH_ARGON2_QUEUE, AUTH_ARGON2_REFUSAL_DELAY_MS } = app.config;
    const refusal = { delayMs: AUTH_ARGON2_REFUSAL_DELAY_MS, retryAfterSeconds: 1 };
    app.decorate('passwordWork', new PasswordWorkGate(AUTH_ARGON2_CONCURRENCY, AUTH_ARGON2_QUEUE, refusal));
  },
  { name: 'password-work' },
);
