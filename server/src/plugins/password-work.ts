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
    app.decorate('passwordWork', new PasswordWorkGate(app.config.AUTH_ARGON2_CONCURRENCY, app.config.AUTH_ARGON2_QUEUE));
  },
  { name: 'password-work' },
);
