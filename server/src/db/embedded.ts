import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  connectionString: string;
  close(): Promise<void>;
}

/**
 * PGlite served over the PostgreSQL wire protocol on a loopback port only this process
 * uses, so the same pg + kysely code path serves both modes. `dataDir` of `memory://`
 * keeps everything in memory (tests).
 */
export async function startEmbedded(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
  let location = dataDir;
  if (dataDir !== 'memory://') {
    location = path.resolve(dataDir, 'pgdata');
    await mkdir(location, { recursive: true, mode: 0o700 });
  }
  const pglite = await PGlite.create(location);
  // maxConnections > 1: the socket server multiplexes connections onto the single
  // PGlite instance and keeps each open transaction on its own connection.
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections });
  await server.start();
  return {
    connectionString: `postgres://postgres@${server.getServerConn()}/postgres`,
    close: async () => {
      await server.stop();
      await pglite.close();
    },
  };
}
