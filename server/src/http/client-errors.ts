import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ERR } from '../errors.ts';
import { POLICY_HEADERS } from './security-headers.ts';

// [Note: errors before a request exists]
// Node's HTTP parser refuses some requests before Fastify sees them (framing it cannot
// parse, headers over its 16 KiB limit, a request that took too long), and answers an
// Expect header it does not know by itself. Fastify's and Node's answers to these carry no
// `code` (or no body); these answer like every other error ([Note: one error handler]).

function parserError(code: string | undefined): FastifyError {
  if (code === 'HPE_HEADER_OVERFLOW') return new ERR.HEADERS_TOO_LARGE();
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new ERR.REQUEST_TIMEOUT();
  return new ERR.VALIDATION('malformed HTTP request');
}

// Answers written before Fastify has a reply carry the policy too ([Note: one policy on every response]).
const policyLines = Object.entries(POLICY_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('');

const json = (e: FastifyError) => JSON.stringify({ statusCode: e.statusCode, code: e.code, message: e.message });

/** Fastify's `clientErrorHandler`: the connection is closed after the answer, as Node does. */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e = parserError(err.code);
  this.log.info({ code: e.code, parserCode: err.code }, 'request refused by the HTTP parser');
  if (socket.writable) {
    const body = json(e);
    socket.write(`HTTP/1.1 ${e.statusCode} ${e.statusCode === 400 ? 'Bad Request' : 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${policyLines}Connection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/** The server's `checkExpectation` listener: any Expect but 100-continue (RFC 9110 §10.1.1). */
export function expectationFailed(req: IncomingMessage, res: ServerResponse): void {
  const e = new ERR.EXPECTATION_FAILED();
  // HTTP/2 has no Connection header ([Note: HTTP/2 served directly]): Node drops it with a warning.
  res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', ...(req.httpVersionMajor === 2 ? {} : { connection: 'close' }), ...POLICY_HEADERS });
  res.end(json(e));
}
