import { ERR } from '../errors.ts';

/** Parses "bytes=N-" or "bytes=N-(end)"; N must be a chunk boundary inside the file. */
export function parseChunkRange(header: string | undefined, stride: number, total: number): { start: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{1,15})-(\d{1,15})?$/.exec(header.trim());
  if (!m?.[1]) throw new ERR.RANGE_NOT_SATISFIABLE();
  const start = Number(m[1]);
  const end = m[2] === undefined ? total - 1 : Number(m[2]);
  if (start % stride !== 0 || start >= total || end !== total - 1) throw new ERR.RANGE_NOT_SATISFIABLE();
  return { start };
}
