import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>;
  }
}

/** Decorates the instance with the database; its owner (server.ts or a test) closes it. */
export default fp<{ db: Kysely<Database> }>(
  async (app, { db }) => {
    app.decorate('db', db);
  },
  { name: 'database' },
);
