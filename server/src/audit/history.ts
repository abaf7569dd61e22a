import { Type } from '@fastify/type-provider-typebox';
import type { Expression, ExpressionBuilder, Kysely, SqlBool, Transaction } from 'kysely';
import { HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX } from '@testimony-vault/protocol';
import type { Database } from '../db/schema.ts';
import { ERR } from '../errors.ts';
import { Strict, b64 } from '../http/schemas.ts';
import { treeSize } from './log.ts';
import { storedMultiLeafProof } from './proofs.ts';

// One page of a history: the events a filter selects in the tree of a given size, after a
// cursor, with one multi-leaf proof for the page (docs/PROTOCOL.md "A page of a record's
// history"). A record's history and a case's are both read this way.

type Db = Kysely<Database> | Transaction<Database>;

const Size = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const HistoryQuery = Strict({
  size: Size,
  after: Type.Optional(Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER, description: 'the log index of the last event of the page before (-1: from the start)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: HISTORY_PAGE_MAX })),
});

export const HistoryPage = Type.Object({
  size: Size,
  events: Type.Array(Type.Object({ leaf: Type.String() })),
  proof: Type.Array(Type.String(), { description: "base64url hashes of the subtrees holding none of the page's leaves, in walk order ([Note: multi-leaf proofs])" }),
  next: Type.Union([Size, Type.Null()], { description: 'the cursor for the next page (the page\'s last index), or null: none follows in this tree' }),
});

export interface HistoryPageAnswer {
  size: number;
  events: { leaf: string }[];
  proof: string[];
  next: number | null;
}

/** The page of the events `which` selects (a filter on audit_events), below `size`, after `after`. */
export async function historyPage(
  db: Db,
  query: { size: number; after?: number | undefined; limit?: number | undefined },
  which: (eb: ExpressionBuilder<Database, 'audit_events'>) => Expression<SqlBool>,
): Promise<HistoryPageAnswer> {
  const { size, after = -1, limit = HISTORY_PAGE_DEFAULT } = query;
  if (size > (await treeSize(db))) throw new ERR.VALIDATION('size is larger than the tree');
  const rows = await db.selectFrom('audit_events').select(['idx', 'leaf']).where(which).where('idx', '>', after).where('idx', '<', size).orderBy('idx').limit(limit).execute();
  const last = rows[rows.length - 1];
  const proof = rows.length === 0 ? [] : await storedMultiLeafProof(db, rows.map((r) => Number(r.idx)), size);
  return { size, events: rows.map((r) => ({ leaf: b64(r.leaf) })), proof: proof.map(b64), next: rows.length === limit && last ? Number(last.idx) : null };
}
