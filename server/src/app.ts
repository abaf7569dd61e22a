import type { Server } from 'node:http';
import Fastify, { type FastifyHttpOptions, type FastifyInstance, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { clientErrorHandler, expectationFailed } from './http/client-errors.ts';
import { guardHttp2, withHttp2 } from './http/http2.ts';
import { readTls, type TlsFiles } from './http/tls-files.ts';
import { POLICY_HEADERS } from './http/security-headers.ts';
import type { Config } from './config.ts';
import type { Database } from './db/schema.ts';
import database from './plugins/database.ts';
import errors, { sendError } from './plugins/errors.ts';
import security from './plugins/security.ts';
import passwordWork from './plugins/password-work.ts';
import openapi from './plugins/openapi.ts';
import auth from './plugins/auth.ts';
import maintenance from './plugins/maintenance.ts';
import webStatic from './plugins/web-static.ts';
import health from './routes/health.ts';
import authRoutes from './routes/auth.ts';
import accountRoutes from './routes/account.ts';
import sessionRoutes from './routes/sessions.ts';
import inviteRoutes from './routes/invites.ts';
import recordRoutes from './routes/records/index.ts';
import fileRoutes from './routes/files.ts';
import grantRoutes from './routes/grants.ts';
import auditRoutes from './routes/audit.ts';
import auditPlugin from './plugins/audit.ts';
import userRoutes from './routes/users.ts';
import contactRoutes from './routes/contacts.ts';
import teamRoutes from './routes/teams.ts';
import teamHistoryRoutes from './routes/teams-history.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

export interface AppOptions {
  config: Config;
  db: Kysely<Database>;
  /**
   * Benchmarks only (`npm run bench:audit` measures what auditing costs): false makes
   * appends no-ops. Deliberately not a configuration variable.
   */
  recordAuditEvents?: boolean;
}

/** The whole vault as one plugin: shared services first, then one plugin per URL prefix. */
export const vaultApp = fp<AppOptions>(
  async (app, { config, db, recordAuditEvents }) => {
    app.decorate('config', config);
    await app.register(errors);
    await app.register(database, { db });
    await app.register(security);
    await app.register(passwordWork);
    await app.register(openapi);
    await app.register(auth);
    await app.register(maintenance);
    await app.register(auditPlugin, { recordEvents: recordAuditEvents ?? true });

    await app.register(health);
    await app.register(authRoutes, { prefix: '/v1/auth' });
    await app.register(accountRoutes, { prefix: '/v1/account' });
    await app.register(sessionRoutes, { prefix: '/v1/sessions' });
    await app.register(inviteRoutes, { prefix: '/v1/invites' });
    await app.register(recordRoutes, { prefix: '/v1/records' });
    await app.register(fileRoutes, { prefix: '/v1' });
    await app.register(grantRoutes, { prefix: '/v1' });
    await app.register(auditRoutes, { prefix: '/v1' });
    await app.register(userRoutes, { prefix: '/v1/users' });
    await app.register(contactRoutes, { prefix: '/v1/account/contacts' });
    await app.register(teamRoutes, { prefix: '/v1' });
    await app.register(teamHistoryRoutes, { prefix: '/v1' });
    await app.register(webStatic, { dir: config.WEB_DIST_DIR });
  },
  { name: 'vault' },
);

// Never log what a request carries: headers with credentials, and (pino's default)
// no bodies at all. Responses are not logged either.
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-invite-code"]'];

// Requests are logged by method, route pattern and id only: no client address (a seized
// log must not map who connected when), no headers, and not the URL itself, whose record
// and file ids would turn the log into a list of which testimony was opened when.
const serializers = {
  req: (req: FastifyRequest) => ({ id: req.id, method: req.method, route: routeOf(req) }),
};

function routeOf(req: FastifyRequest): string {
  try {
    return req.routeOptions.url ?? '(no route)';
  } catch {
    return '(no route)'; // a request refused before routing (malformed URL)
  }
}

/** `stream`: where the lines go (process/log-output.ts for the server; a test's collector). */
export type LogOption = boolean | { stream: { write(line: string): unknown } };

export function fastifyOptions(config: Config, logger: LogOption): FastifyHttpOptions<Server> {
  const stream = typeof logger === 'object' ? { stream: logger.stream } : {};
  return {
    logger: logger ? { level: config.LOG_LEVEL, redact: { paths: REDACT, censor: '[redacted]' }, serializers, ...stream } : false,
    trustProxy: config.TRUST_PROXY,
    bodyLimit: 64 * 1024,
    // Unknown fields are an error (schemas say additionalProperties: false), not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    return503OnClosing: true,
    // No HEAD twin for every GET: Fastify's runs the GET handler and throws the body away, so a
    // HEAD on a file read every chunk from the database, and one on an audited read logged a
    // read that sent nothing. Only the health checks answer HEAD (routes/health.ts).
    exposeHeadRoutes: false,
    // Errors raised before routing (bad percent-encoding, an over-long path parameter) go
    // through the same handler as the rest, instead of Fastify's answer that echoes the URL.
    // No hook runs for these: the policy headers are added here ([Note: one policy on every response]).
    frameworkErrors: (err, request, reply) => sendError(err, request, reply.headers(POLICY_HEADERS)),
    clientErrorHandler,
    http: { requireHostHeader: false }, // checked in plugins/security.ts instead
  };
}

/** `tls`: the certificate and key already read (server.ts checks them before the database opens); else read here when configured. */
export async function buildApp(options: AppOptions & { logger?: LogOption; tls?: TlsFiles | undefined }): Promise<FastifyInstance> {
  const { logger, tls: given, ...appOptions } = options;
  const tls = given ?? (await readTls(options.config));
  const base = fastifyOptions(options.config, logger ?? false);
  const app = Fastify(tls ? withHttp2(base, tls) : base).withTypeProvider<TypeBoxTypeProvider>();
  app.server.on('checkExpectation', expectationFailed);
  if (tls) guardHttp2(app);
  // The app's own options only: the key stays out of the plugin tree.
  await app.register(vaultApp, appOptions);
  await app.ready();
  return app;
}
