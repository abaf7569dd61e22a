import { writeSync } from 'node:fs';
import pino from 'pino';

/**
 * The server's log output: standard output, written synchronously (pino's default), except
 * that a write that fails stops the logging instead of failing whatever logged.
 *
 * pino rethrows every write error but EPIPE from the logging call itself, so once standard
 * output was a terminal that had closed (EIO, [Note: a terminal that closes]) or a full disk,
 * the next log line broke the request that wrote it, a certificate reload, or the graceful
 * shutdown. The server goes on without a log, after one line on standard error if that still
 * works (standard output may be a file on a full disk while standard error is a terminal).
 */
export function logOutput(): pino.DestinationStream {
  const out = pino.destination({ dest: 1, sync: true });
  let stopped = false;
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (stopped) return;
    stopped = true;
    const noop = () => true;
    Object.assign(out, { write: noop, flushSync: () => {}, end: () => {} });
    try {
      writeSync(2, `testimony-vault: the log output failed (${err.code ?? err.message}); logging stops, the server goes on\n`);
    } catch {
      // standard error is gone too
    }
  });
  return out;
}
