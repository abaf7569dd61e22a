import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { certificateFacts, readTls, TlsFilesError, TlsReloader } from './http/tls-files.ts';
import { openDatabase } from './db/connect.ts';
import { MigrationError, migrateToLatest } from './db/migrate.ts';
import { logOutput } from './process/log-output.ts';
import { endBySignalOnceTerminalClosed, terminalClosed } from './process/terminal.ts';

// The only file that starts a process: configuration → database → migrations → listen,
// and on SIGTERM/SIGINT: stop accepting, drain requests, close the pool and the database.
// With a certificate, SIGHUP reads it again instead ([Note: certificates renewed without a restart]),
// unless it came from the terminal the server was started in closing ([Note: a terminal that closes]).

endBySignalOnceTerminalClosed();

function fail(message: string): never {
  console.error(`testimony-vault: ${message}`);
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (err) {
  fail(err instanceof ConfigError ? err.message : String(err));
}

// Checked before the database is opened: a bad certificate stops start-up with nothing to undo.
const tls = await readTls(config).catch((err: Error) => fail(err instanceof TlsFilesError ? err.message : String(err)));
// SIGHUP is handled here, from now on, not by close-with-grace: with a certificate it reloads
// it; without one, or from a terminal that closed, it stops the server, once. A terminal's
// hang-up comes twice (the shell passes it on to its job, then the kernel sends another when
// the shell exits), and close-with-grace's answer to a second signal is to exit at once,
// dropping the requests being drained (the review of [Note: a terminal that closes]). What is
// asked before the server exists runs once it does.
let reloader: TlsReloader | undefined;
let reloadAsked = false;
let shutdown: (() => void) | undefined;
let shutdownAsked = false;
process.on('SIGHUP', () => {
  if (tls && !terminalClosed()) return reloader ? void reloader.request() : (reloadAsked = true);
  shutdown ? shutdown() : (shutdownAsked = true);
});

const database = await openDatabase(config).catch((err: Error) => fail(`cannot open the database: ${err.message}`));
try {
  await migrateToLatest(database.db);
} catch (err) {
  await database.close().catch(() => {});
  fail(err instanceof MigrationError ? err.message : `cannot migrate the database: ${(err as Error).message}`);
}

const app = await buildApp({ config, db: database.db, logger: { stream: logOutput() }, tls });
if (tls) {
  const facts = certificateFacts(tls.cert);
  app.log.info({ certificate: facts }, 'TLS certificate served');
  reloader = new TlsReloader(app, config, facts.fingerprint256);
  if (reloadAsked) void reloader.request();
}

// No listener for the signals of a fault: a listener cannot handle one, and turns a crash
// into a loop that never ends ([Note: a terminal that closes]; Node's documentation on
// SIGSEGV). SIGABRT and SIGTRAP go with them: they come from abort() and debuggers.
const FAULT_SIGNALS = ['SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGABRT', 'SIGTRAP'] as const;
const grace = closeWithGrace(
  { delay: config.SHUTDOWN_GRACE_SECONDS * 1000, skip: [...FAULT_SIGNALS, 'SIGHUP'] },
  async ({ signal, err, manual }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else if (manual) app.log.info({ signal: 'SIGHUP', terminalClosed: terminalClosed() }, 'shutting down');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
    await database.close();
  },
);
// Once: not again while a SIGTERM's or a first SIGHUP's shutdown runs.
const closing = () => (closeWithGrace as unknown as { closing: boolean }).closing;
shutdown = () => void (closing() || grace.close());
if (shutdownAsked) shutdown();

try {
  const address = await app.listen({ host: config.HOST, port: config.PORT });
  // Through the server's logger (its redaction and serializers), by a child logger held at
  // info: the address must reach the operator whatever LOG_LEVEL says (PORT=0 picks it at
  // random), and the test harnesses find the server's port in this line's message.
  app.log.child({}, { level: 'info' }).info({ address }, `testimony-vault listening on ${address} (database: ${database.kind}); open ${address} in a browser`);
} catch (err) {
  await database.close().catch(() => {});
  fail(`cannot listen on ${config.HOST}:${config.PORT}: ${(err as Error).message}`);
}
