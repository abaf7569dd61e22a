import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { consistencyProof, inclusionProof, multiLeafProof, rootHash, type LeafHashSource } from './merkle-tree.ts';

type Db = Kysely<Database> | Transaction<Database>;

const HOLE = new Uint8Array(32);

/** (level, index) of a range that is a complete subtree, else undefined. */
function completeSubtree(start: number, end: number): { level: number; idx: number } | undefined {
  const len = end - start;
  let level = 0;
  while (2 ** level < len) level++;
  return 2 ** level === len && start % len === 0 ? { level, idx: start / len } : undefined;
}

// [Note: proofs from stored subtrees]
// Roots and proofs are computed by merkle-tree.ts from subtree hashes. Every range it asks
// for is either a complete subtree, stored in audit_nodes, or split further down to complete
// ones, so a first pass with placeholder hashes learns exactly which stored nodes are needed
// (O(log² n) at most for one proof, O(k log n) for k leaves), one query fetches them, and a second pass computes the real result.
async function withStoredNodes<T>(db: Db, size: number, compute: (source: LeafHashSource) => T): Promise<T> {
  const wanted = new Map<string, { level: number; idx: number }>();
  const ask = (level: number, idx: number) => wanted.set(`${level}:${idx}`, { level, idx });
  compute({
    size,
    leafHash: (i) => (ask(0, i), HOLE),
    storedSubtreeHash: (start, end) => {
      const node = completeSubtree(start, end);
      if (node) ask(node.level, node.idx);
      return node ? HOLE : undefined;
    },
  });
  // One query whatever the count: a page's multi-leaf proof can need a thousand nodes.
  const list = [...wanted.values()];
  const have = new Map<string, Uint8Array>();
  if (list.length > 0) {
    const { rows } = await sql<{ level: number; idx: string; hash: Uint8Array }>`
      select n.level, n.idx, n.hash
      from audit_nodes n
      join unnest(${list.map((n) => n.level)}::int[], ${list.map((n) => String(n.idx))}::bigint[]) as w(level, idx)
        on n.level = w.level and n.idx = w.idx`.execute(db);
    for (const r of rows) have.set(`${r.level}:${Number(r.idx)}`, r.hash);
  }
  const get = (level: number, idx: number) => {
    const hash = have.get(`${level}:${idx}`);
    if (!hash) throw new Error(`audit node ${level}:${idx} is missing`);
    return hash;
  };
  return compute({
    size,
    leafHash: (i) => get(0, i),
    storedSubtreeHash: (start, end) => {
      const node = completeSubtree(start, end);
      return node ? get(node.level, node.idx) : undefined;
    },
  });
}

export function storedRoot(db: Db, size: number): Promise<Uint8Array> {
  return withStoredNodes(db, size, (source) => rootHash(source));
}

export function storedInclusionProof(db: Db, index: number, size: number): Promise<Uint8Array[]> {
  return withStoredNodes(db, size, (source) => inclusionProof(index, source));
}

export function storedConsistencyProof(db: Db, from: number, to: number): Promise<Uint8Array[]> {
  return withStoredNodes(db, to, (source) => consistencyProof(from, source));
}

/** The multi-leaf proof of the leaves at `indices` in the tree of `size` leaves ([Note: multi-leaf proofs]). */
export function storedMultiLeafProof(db: Db, indices: readonly number[], size: number): Promise<Uint8Array[]> {
  return withStoredNodes(db, size, (source) => multiLeafProof(indices, source));
}
