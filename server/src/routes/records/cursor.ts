import { ERR } from '../../errors.ts';

// An opaque page cursor: base64url of "<updated_at in ms>.<record id>". Timestamps are
// written by the server with millisecond precision, so the cursor is exact.

// The id must be a canonical UUID: anything looser would reach PostgreSQL's uuid parser.
const CURSOR = /^(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function encodeCursor(updatedAt: Date, id: string): string {
  return Buffer.from(`${updatedAt.getTime()}.${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { updatedAt: Date; id: string } {
  const m = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m?.[1] || !m[2]) throw new ERR.VALIDATION('cursor is not one this server made');
  return { updatedAt: new Date(Number(m[1])), id: m[2] };
}
