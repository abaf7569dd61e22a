import { mkdir } from 'node:fs/promises';
import path from 'node:path';
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

/**
 * PGlite served over the PostgreSQL wire protocol on a loopback port only this process
 * uses, so the same pg + kysely code path serves both modes. `dataDir` of `memory://`
 * keeps everything in memory (tests). A template (a dumped data folder) skips initdb.
 */
export async function startEmbedded(dataDir: string, maxConnections: number, template?: Blob): Promise<EmbeddedPostgres> {
  let location = dataDir;
  if (dataDir !== 'memory://') {
    location = path.resolve(dataDir, 'pgdata');
    await mkdir(location, { recursive: true, mode: 0o700 });
  }
  const pglite = await PGlite.create(location, template ? { loadDataDir: template } : {});
  const served = await serveOverSocket(pglite, maxConnections);
  return {
    connectionString: served.connectionString,
    close: async () => {
      await served.close();
      await pglite.close();
    },
  };
}
