import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERR } from '../errors.ts';

// [Note: one error handler]
// Logs the whole error (server side only) and answers with the stable code and a safe
// message: never a stack trace, never a value the client sent.

const FASTIFY_TO_VAULT: Record<string, () => FastifyError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new ERR.BODY_TOO_LARGE(),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new ERR.UNSUPPORTED_MEDIA_TYPE(),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new ERR.VALIDATION('content-length does not match the body'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new ERR.VALIDATION('body is empty'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new ERR.VALIDATION('body is not valid JSON'),
  FST_ERR_BAD_URL: () => new ERR.VALIDATION('malformed URL'),
  FST_ERR_MAX_PARAM_LENGTH: () => new ERR.VALIDATION('a path parameter is too long'),
  FST_ERR_ASYNC_CONSTRAINT: () => new ERR.VALIDATION('malformed request'),
  FST_ERR_CTP_INVALID_TYPE: () => new ERR.UNSUPPORTED_MEDIA_TYPE(),
};

// Connection-level database failures: the request may be retried once it is back. Codes
// from the socket and from PostgreSQL (admin shutdown, crash, cannot connect now, connection
// exceptions); messages from node-postgres, which gives its own errors no code: a connection
// that died under a query, or before the next query of a transaction ([Note: lost
// connections] in db/connect.ts), and no connection within DB_CONNECT_TIMEOUT_SECONDS.
// Also: a lock not obtained in time (55P03: the audit log's lock, held by a holder that does
// not finish, migrations/0006_audit_append.ts) and a statement cancelled for taking too long (57014).
const DB_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08003', '08006', '55P03', '57014']);
const DB_UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|is not queryable/i;

// [Note: database refusals]
// Routes check their input before writing, but a value the database refuses must still be
// the client's 4xx, not a 500: a duplicate key is a conflict; a missing referenced row, a
// malformed or out-of-range value, a NUL or invalid byte, or a failed check is bad input.
const DB_REFUSED: Record<string, () => FastifyError> = {
  '23505': () => new ERR.CONFLICT(), // unique_violation
  '23503': () => new ERR.VALIDATION('the request names something that does not exist'), // foreign_key_violation
  '23514': () => new ERR.VALIDATION('a value is out of range'), // check_violation
  '22P02': () => new ERR.VALIDATION('a value is malformed'), // invalid_text_representation
  '22003': () => new ERR.VALIDATION('a number is out of range'), // numeric_value_out_of_range
  '22008': () => new ERR.VALIDATION('a date is out of range'), // datetime_field_overflow
  '22001': () => new ERR.VALIDATION('a value is too long'), // string_data_right_truncation
  '22021': () => new ERR.VALIDATION('a text value holds an invalid byte (NUL)'), // character_not_in_repertoire
};

const own = <T>(table: Record<string, T>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

export function toVaultError(err: FastifyError): FastifyError {
  if (err.validation) {
    const first = err.validation[0];
    const where = `${err.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
    return new ERR.VALIDATION(`${where} ${first?.message ?? 'is invalid'}`);
  }
  if (typeof err.code === 'string' && err.code.startsWith('VAULT_ERR_')) return err;
  const mapped = own(FASTIFY_TO_VAULT, err.code) ?? own(DB_REFUSED, err.code);
  if (mapped) return mapped();
  // Before the database's codes: a request body the client cut off fails with ECONNRESET,
  // which Fastify marks 400. It is the client's doing, not a database that went away.
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new ERR.VALIDATION('malformed request');
  if (DB_UNAVAILABLE.has(err.code) || DB_UNAVAILABLE_MESSAGE.test(err.message)) return new ERR.NOT_READY();
  return new ERR.INTERNAL();
}

/**
 * Logs and answers one error. Also used for the errors Fastify raises before routing (a
 * malformed URL: see `frameworkErrors` in app.ts), whose own answer would echo the URL.
 */
export function sendError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const body = answerError(err, request, reply);
  return reply.send(body);
}

/**
 * Logs one error and sets the status and headers of its answer on `reply`; returns the body.
 * For hooks that run after a route's answer was made (onSend), which must replace it.
 */
export function answerError(err: FastifyError, request: FastifyRequest, reply: FastifyReply, options: { serverFault?: boolean } = {}) {
  const mapped = toVaultError(err);
  // serverFault: whatever the error looks like, it is the server's (never one more 4xx).
  const safe = options.serverFault && (mapped.statusCode ?? 500) < 500 ? new ERR.INTERNAL() : mapped;
  const status = safe.statusCode ?? 500;
  // A refusal under load (VAULT_ERR_BUSY) is no fault: logged as a refusal, or a flood would fill the log.
  // The database away (VAULT_ERR_NOT_READY): one line per request without the stack; during
  // an outage every request fails alike, and hundreds of stacks would bury the first cause.
  if (safe.code === 'VAULT_ERR_NOT_READY') request.log.warn({ code: safe.code, cause: (err as { code?: unknown }).code ?? err.message }, 'database unavailable');
  else if (status >= 500 && safe.code !== 'VAULT_ERR_BUSY') request.log.error({ err }, 'request failed');
  else request.log.info({ code: safe.code }, 'request refused');
  // Headers a vault error carries (Retry-After on VAULT_ERR_BUSY), as Fastify's own handler sends them.
  const { headers } = safe as { headers?: Record<string, string> };
  if (headers) reply.headers(headers);
  reply.status(status);
  return { statusCode: status, code: safe.code, message: safe.message };
}

export default fp(
  async (app) => {
    app.setErrorHandler(sendError);
    app.setNotFoundHandler((request, reply) => sendError(new ERR.ROUTE_NOT_FOUND(), request, reply));
  },
  { name: 'errors' },
);
