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
// From here on SIGHUP reloads them, not stopping the process even while the database opens
// (a reload asked for before the server exists runs once it does).
let reloader: TlsReloader | undefined;
let reloadAsked = false;
let shutdown: (() => void) | undefined;
let shutdownAsked = false;
if (tls) {
  process.on('SIGHUP', () => {
    if (terminalClosed()) shutdown ? shutdown() : (shutdownAsked = true);
    else reloader ? void reloader.request() : (reloadAsked = true);
  });
}

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
  { delay: config.SHUTDOWN_GRACE_SECONDS * 1000, skip: [...FAULT_SIGNALS, ...(tls ? (['SIGHUP'] as const) : [])] },
  async ({ signal, err, manual }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else if (manual) app.log.info({ signal: 'SIGHUP' }, 'the terminal closed: shutting down');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
    await database.close();
  },
);
let closing = false;
shutdown = () => void (closing || ((closing = true), grace.close()));
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
