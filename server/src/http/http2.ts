import type { Server } from 'node:http';
import { constants, type Http2Session, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import type { FastifyHttpOptions, FastifyInstance } from 'fastify';
import { tlsContext, type TlsFiles } from './tls-files.ts';

// [Note: HTTP/2 served directly]
// With a certificate (TLS_CERT_FILE, TLS_KEY_FILE) the server speaks HTTPS itself: HTTP/2 to
// clients that offer it (browsers) and HTTP/1.1 to the rest (Node's fetch, tvault) on the same
// port, for an organisation that runs the vault without a TLS proxy in front. Routes see the
// same requests either way; what differs is below Fastify: no Host header (`:authority`
// instead, which Fastify reads as the host), a body that may come without a Content-Length
// (an HTTP/2 stream ends with its last frame; parts are bounded as ever), and a response that
// is not an http.ServerResponse (files/download-stream.ts does not reuse its memory there).
//
// What one connection may hold. Over HTTP/1.1 a request waiting for the server (its auth hook
// waiting for a database connection, say) costs its sender a TCP connection, and its unread
// body at most the socket's buffers. Over HTTP/2 one connection carries many streams, and
// each may send a flow-control window of body before anything reads it: without limits one
// connection, with no account, made the server hold gigabytes (a review of 2026-12-07). So:
// - at most MAX_STREAMS streams at once per connection (RFC 9113 recommends no fewer than 100;
//   a page of this vault has a handful in flight: its files at load, two parts, a few reads);
// - STREAM_WINDOW of unread body per stream, and CONNECTION_WINDOW, 8 MiB, over all a
//   connection's streams: the most one connection can make the server hold in request bodies,
//   about what a TCP connection's buffers hold. (At 32 × 2 MiB = 64 MiB a second review found
//   16 connections with no account holding 1 GiB until a garbage collection.) The web client
//   sends two parts at once, 4 MiB of window;
// - a stream with no traffic for STREAM_IDLE_MS is cancelled (a download its client stopped
//   reading, a body that stopped coming): HTTP/1.1 requests here have no such limit, but each
//   of those costs its sender a connection. Node's timer is lenient with a stream that has
//   writes queued while its connection still moves (pings, other streams): a download whose
//   reader stopped was seen to last several times STREAM_IDLE_MS, about 8 MiB each, at most 32
//   per connection, and only for someone logged in;
// - Node's session memory bound at its default (10 MB: headers, streams, data queued to send).
// The windows are above HTTP/2's default of 64 KiB: at the default every 64 KiB of a part
// waits for the server's event loop to acknowledge it while that loop stores the other part
// in flight: the browser's upload ran at 50.8-66.2 MB/s, against 74.5-79.7 with windows of
// 16 MiB and 71.9-86.0 with these of 2 MiB (docs/PERFORMANCE.md, "Web client").
//
// Shutdown: Node's server.close() leaves HTTP/2 sessions open, so a browser's idle connection
// would hold the process until the grace period ends and the database is never closed. Before
// Fastify closes, each session is told to go away (GOAWAY): its streams in flight finish, no
// new ones start, and it closes.
const MAX_STREAMS = 32;
const STREAM_WINDOW = 2 * 1024 * 1024;
const CONNECTION_WINDOW = 8 * 1024 * 1024;
const STREAM_IDLE_MS = 120_000;
// Fastify's own, as in plain HTTP; Node's HTTP/2 server gives HTTP/1.1 requests others (a
// 300 s request timeout, which a part on a slow link would never beat).
const HTTP1_REQUEST_TIMEOUT_MS = 0;
const HTTP1_KEEP_ALIVE_MS = 72_000;

/** Fastify's options for HTTPS with HTTP/2 and HTTP/1.1 on one port. */
export function withHttp2(options: FastifyHttpOptions<Server>, tls: TlsFiles): FastifyHttpOptions<Server> {
  const https = { allowHTTP1: true, ...tlsContext(tls), settings: { maxConcurrentStreams: MAX_STREAMS, initialWindowSize: STREAM_WINDOW } };
  // Fastify's types tie an instance to its server kind; every route here is written for both.
  return { ...options, http2: true, https } as unknown as FastifyHttpOptions<Server>;
}

/** The limits and the shutdown above, on an app made with withHttp2's options. */
export function guardHttp2(app: FastifyInstance): void {
  const server = app.server as unknown as Http2SecureServer & { requestTimeout: number; keepAliveTimeout: number };
  server.requestTimeout = HTTP1_REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = HTTP1_KEEP_ALIVE_MS;
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.setLocalWindowSize(CONNECTION_WINDOW);
  });
  server.on('stream', (stream: ServerHttp2Stream) => {
    stream.setTimeout(STREAM_IDLE_MS, () => stream.close(constants.NGHTTP2_CANCEL));
  });
  app.addHook('preClose', (done) => {
    for (const session of sessions) session.close();
    done();
  });
}

export const HTTP2_LIMITS = { MAX_STREAMS, STREAM_WINDOW, CONNECTION_WINDOW, STREAM_IDLE_MS };
