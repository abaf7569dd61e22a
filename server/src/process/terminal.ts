import { isatty } from 'node:tty';

// [Note: a terminal that closes]
// `npm start` in a terminal gives the server that terminal as its standard input and output.
// When the window is closed the kernel hangs the terminal up: the process gets SIGHUP, every
// write to the terminal fails with EIO from then on, and the descriptors stop being terminals.
// Three things then went wrong, seen on Node 20 in a pseudo-terminal (test/server-terminal.test.ts):
// - the first log line after it threw EIO out of the logging call (pino rethrows every write
//   error but EPIPE), so the graceful shutdown gave up at its first line: see log-output.ts;
// - Node's exit restores the terminal's settings and aborts when it cannot (nodejs/node#42433);
// - that abort faulted, and a JavaScript listener for SIGSEGV (close-with-grace installs one
//   unless told not to) turns a fault into a loop: the handler returns, the faulting
//   instruction runs again. The process spun on a core for ever, holding the data folder.
// So the server listens to no fault signal (server.ts), and ends by SIGHUP's own default
// action once its terminal is gone, the way a process ends whose terminal hung up.

/** The standard descriptors that were terminals when the process started. */
const terminalsAtStart = [0, 1, 2].filter((fd) => isatty(fd));

/** True once a terminal the process started with has hung up (its window closed). */
export function terminalClosed(): boolean {
  return terminalsAtStart.some((fd) => !isatty(fd));
}

/**
 * At exit, when the terminal is gone, end by SIGHUP with its default action instead of
 * Node's exit path, which would abort restoring the terminal. Removing the listeners gives
 * the signal back its default action before it is raised.
 */
export function endBySignalOnceTerminalClosed(): void {
  process.on('exit', () => {
    if (!terminalClosed()) return;
    process.removeAllListeners('SIGHUP');
    process.kill(process.pid, 'SIGHUP');
  });
}
