import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  connectionString: string;
  close(): Promise<void>;
}

/** Serves an open PGlite on a loopback port; close() stops the socket server only. */
export async function serveOverSocket(pglite: PGlite, maxConnections: number): Promise<EmbeddedPostgres> {
  // maxConnections > 1: the socket server multiplexes connections onto the single
  // PGlite instance and keeps each open transaction on its own connection.
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections });
  await server.start();
  return { connectionString: `postgres://postgres@${server.getServerConn()}/postgres`, close: () => server.stop() };
}

// [Note: embedded database memory]
// PGlite is PostgreSQL compiled to WebAssembly, inside this process: its buffers are the
// server's resident memory. Measured on the project's machines (docs/PERFORMANCE.md,
// "Embedded database"): creating a new data folder (initdb) leaves the process at about
// 730 MiB, because the WebAssembly memory initdb grew is never handed back; reopening an
// existing folder with PostgreSQL's default 128 MiB of shared buffers, about 290 MiB.
// So a new folder is created in a worker thread, whose memory goes when it exits, and the
// database runs with small shared buffers: the files' chunks are read once per download
// and gain little from a cache the operating system's page cache already provides.
// EMBEDDED_SHARED_BUFFERS_MIB (default 16) sets them; PostgreSQL's own default is 128.
export const DEFAULT_SHARED_BUFFERS_MIB = 16;

/** PGlite's own start parameters plus the memory settings above. */
function startParams(sharedBuffersMiB: number): string[] {
  return [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffersMiB}MB`];
}

/** Runs initdb for a new data folder in a worker thread that exits when it is done. */
async function createInWorker(location: string): Promise<void> {
  const pgliteUrl = import.meta.resolve('@electric-sql/pglite');
  const code = `
    const { workerData } = require('node:worker_threads');
    import(workerData.pgliteUrl).then(async ({ PGlite }) => {
      const db = await PGlite.create(workerData.location);
      await db.close();
    });`;
  const worker = new Worker(code, { eval: true, workerData: { pgliteUrl, location } });
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`creating the embedded database failed (worker exit ${code})`))));
  });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/**
 * PGlite served over the PostgreSQL wire protocol on a loopback port only this process
 * uses, so the same pg + kysely code path serves both modes. `dataDir` of `memory://`
 * keeps everything in memory (tests). A template (a dumped data folder) skips initdb.
 */
export async function startEmbedded(
  dataDir: string,
  maxConnections: number,
  template?: Blob,
  sharedBuffersMiB = DEFAULT_SHARED_BUFFERS_MIB,
): Promise<EmbeddedPostgres> {
  let location = dataDir;
  if (dataDir !== 'memory://') {
    location = path.resolve(dataDir, 'pgdata');
    await mkdir(location, { recursive: true, mode: 0o700 });
    if (!template && !(await exists(path.join(location, 'PG_VERSION')))) await createInWorker(location);
  }
  const pglite = await PGlite.create(location, { startParams: startParams(sharedBuffersMiB), ...(template ? { loadDataDir: template } : {}) });
  const served = await serveOverSocket(pglite, maxConnections);
  return {
    connectionString: served.connectionString,
    close: async () => {
      await served.close();
      await pglite.close();
    },
  };
}
