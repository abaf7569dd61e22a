import { sql } from 'kysely';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { migrationsCurrent } from '../db/migrate.ts';
import { ERR } from '../errors.ts';
import { errors } from '../http/schemas.ts';

const Status = Type.Object({ status: Type.String() });

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { exposeHeadRoute: true, schema: { summary: 'The process is up', tags: ['health'], response: { 200: Status } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/ready',
    { exposeHeadRoute: true, schema: { summary: 'The database answers and its schema is current', tags: ['health'], response: { 200: Status, ...errors(503) } } },
    async () => {
      try {
        await sql`select 1`.execute(app.db);
        if (!(await migrationsCurrent(app.db))) throw new Error('migrations pending');
      } catch {
        throw new ERR.NOT_READY();
      }
      return { status: 'ready' };
    },
  );
};

export default health;
