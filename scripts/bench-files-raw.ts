// The raw PostgreSQL baseline of bench-files.ts: the same bytes, cut into the same chunk
// rows (file_id, idx, data bytea, one part of PART_CHUNKS rows per transaction) and read
// back in order, with pg directly: no HTTP, no server, no checks. On PostgreSQL it runs on
// the bench's own database; embedded, on a PGlite of its own in this process (the server's
// PGlite is inside the server and has no other door), with the server's memory settings.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { CHUNK_OVERHEAD, FILE_CHUNK_SIZE, PART_CHUNKS } from '@testimony-vault/protocol';
import { chunksOf } from '../client-lib/src/files/chunker.ts';
import { COPY_HEADER, COPY_TRAILER, chunkRowHeader, uuidBytes } from '../server/src/files/copy-rows.ts';

const TABLE = 'bench_raw_chunks';
const STRIDE = FILE_CHUNK_SIZE + CHUNK_OVERHEAD;

export interface RawDatabase {
  kind: string;
  /** Upload methods by name (seconds for `size` bytes from `source`). */
  uploads: Record<string, (source: Readable) => Promise<{ fileId: string; bytes: number }>>;
  download(fileId: string): Promise<number>;
  /**
   * CPU seconds used so far by the PostgreSQL backends of this database (the server's
   * connections and this baseline's; 0 embedded), from /proc: each backend's last reading
   * is kept, so a backend that exits keeps what was seen of it (a lower bound).
   */
  backendsCpuSeconds(): Promise<number>;
  close(): Promise<void>;
}

async function parts(source: Readable, each: (chunks: Buffer[], first: number) => Promise<void>): Promise<number> {
  let pending: Buffer[] = [];
  let first = 0;
  let bytes = 0;
  for await (const { chunk } of chunksOf(source, STRIDE)) {
    pending.push(Buffer.from(chunk));
    bytes += chunk.length;
    if (pending.length === PART_CHUNKS) {
      await each(pending, first);
      first += pending.length;
      pending = [];
    }
  }
  if (pending.length) await each(pending, first);
  return bytes;
}

export async function openRawDatabase(url: string | undefined): Promise<RawDatabase> {
  let closeEmbedded = async () => {};
  let kind = 'PostgreSQL';
  if (!url) {
    const { startEmbedded } = await import('../server/src/db/embedded.ts');
    const dir = await mkdtemp(path.join(tmpdir(), 'tvault-bench-raw-'));
    const embedded = await startEmbedded(dir, 1);
    url = embedded.connectionString;
    kind = 'PGlite in the bench process';
    closeEmbedded = async () => {
      await embedded.close();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const client = new pg.Client(url);
  await client.connect();
  await client.query(`create table if not exists ${TABLE} (file_id uuid not null, idx integer not null check (idx >= 0), data bytea not null, primary key (file_id, idx))`);

  const inTransaction = async (fn: () => Promise<void>) => {
    await client.query('begin');
    await fn();
    await client.query('commit');
  };
  const uploads: RawDatabase['uploads'] = {
    // What the server did before parts were streamed: one INSERT (bind message) per chunk.
    'INSERT per chunk': async (source) => {
      const fileId = randomUUID();
      const bytes = await parts(source, (chunks, first) =>
        inTransaction(async () => {
          for (const [i, data] of chunks.entries()) await client.query(`insert into ${TABLE} (file_id, idx, data) values ($1, $2, $3)`, [fileId, first + i, data]);
        }),
      );
      return { fileId, bytes };
    },
  };
  if (kind === 'PostgreSQL') {
    // Binary COPY, one per part (PGlite's socket server does not take COPY FROM STDIN).
    uploads['binary COPY per part'] = async (source) => {
      const fileId = randomUUID();
      const id = uuidBytes(fileId);
      const bytes = await parts(source, (chunks, first) =>
        inTransaction(async () => {
          const copy = client.query(copyFrom(`copy ${TABLE} (file_id, idx, data) from stdin (format binary)`));
          copy.write(COPY_HEADER);
          for (const [i, data] of chunks.entries()) {
            copy.write(chunkRowHeader(id, first + i, data.length));
            copy.write(data);
          }
          copy.end(COPY_TRAILER);
          await new Promise<void>((resolve, reject) => copy.on('finish', resolve).on('error', reject));
        }),
      );
      return { fileId, bytes };
    };
  }
  const seen = new Map<number, number>();
  return {
    kind,
    uploads,
    async backendsCpuSeconds() {
      if (kind !== 'PostgreSQL') return 0;
      const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
      for (const { pid } of rows) {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        if (!stat) continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        seen.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
      }
      return [...seen.values()].reduce((a, b) => a + b, 0);
    },
    // One binary COPY of the whole file, in order, its bytes counted (not parsed).
    async download(fileId) {
      let n = 0;
      const out = client.query(copyTo(`copy (select data from ${TABLE} where file_id = '${fileId}' order by idx) to stdout (format binary)`));
      await pipeline(out, new Writable({ write: (piece: Buffer, _e, done) => ((n += piece.length), done()) }));
      return n;
    },
    async close() {
      await client.query(`drop table if exists ${TABLE}`);
      await client.end();
      await closeEmbedded();
    },
  };
}
