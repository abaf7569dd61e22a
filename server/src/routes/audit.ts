import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ERR } from '../errors.ts';
import { Strict, Uuid, b64, errors } from '../http/schemas.ts';
import { callerOf } from '../plugins/auth.ts';
import { readableRecord } from '../records/repository.ts';
import { treeSize } from '../audit/log.ts';
import { eventAddress } from '../audit/addresses.ts';
import { storedConsistencyProof, storedInclusionProof, storedRoot } from '../audit/proofs.ts';
import { HistoryPage, HistoryQuery, historyPage } from '../audit/history.ts';

// The audit log, read side (docs/PROTOCOL.md "Audit log"): signed checkpoints, proofs,
// a record's history a page at a time with one proof a page, and the whole log for administrators.

const Size = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Proof = Type.Array(Type.String(), { description: 'base64url hashes, from the leaf upward (RFC 9162)' });

const audit: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['audit'];
  const security = [{ session: [] }];

  app.get(
    '/audit/key',
    { schema: { summary: "The log's origin and Ed25519 verifier key (signed-note format)", tags, response: { 200: Type.Object({ origin: Type.String(), verifierKey: Type.String() }), ...errors() } } },
    async () => ({ origin: app.logKey.origin, verifierKey: app.logKey.verifierKey }),
  );

    app.get(
      '/audit/checkpoint',
      { onRequest: app.authenticate, schema: { summary: 'A signed checkpoint (C2SP signed note) of the current tree', tags, security, response: { 200: Type.Object({ checkpoint: Type.String() }), ...errors(401) } } },
      async () => {
        const size = await treeSize(app.db);
        return { checkpoint: app.logKey.checkpoint(size, await storedRoot(app.db, size)) };
      },
    );

    app.get(
      '/audit/consistency',
      {
        onRequest: app.authenticate,
        schema: {
          summary: 'Consistency proof between two tree sizes',
          tags,
          security,
          querystring: Strict({ from: Size, to: Size }),
          response: { 200: Type.Object({ proof: Proof }), ...errors(401) },
        },
      },
      async (request) => {
        const { from, to } = request.query;
        if (from > to || to > (await treeSize(app.db))) throw new ERR.VALIDATION('need from <= to <= the tree size');
        return { proof: (await storedConsistencyProof(app.db, from, to)).map(b64) };
      },
    );

    app.get(
      '/audit/inclusion',
      {
        onRequest: app.authenticate,
        schema: {
          summary: 'Inclusion proof of one leaf in the tree of a given size',
          tags,
          security,
          querystring: Strict({ index: Size, size: Size }),
          response: { 200: Type.Object({ proof: Proof }), ...errors(401) },
        },
      },
      async (request) => {
        const { index, size } = request.query;
        if (index >= size || size > (await treeSize(app.db))) throw new ERR.VALIDATION('need index < size <= the tree size');
        return { proof: (await storedInclusionProof(app.db, index, size)).map(b64) };
      },
    );

    app.get(
      '/records/:id/history',
      {
        onRequest: app.authenticate,
        config: { auditRefusal: 'record.read' },
        schema: {
          summary: "One page of a record's events in the tree of a given size, with one multi-leaf proof for the page (owner: all; grantee: its own)",
          tags,
          security,
          params: Strict({ id: Uuid }),
          querystring: HistoryQuery,
          response: {
            200: HistoryPage,
            ...errors(401, 404),
          },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        const record = await readableRecord(app.db, request.params.id, caller.accountId);
        if (!record) throw new ERR.NOT_FOUND();
        // Anyone but the owner sees only their own events (whatever happens to their grant meanwhile).
        const own = record.owner_id === caller.accountId;
        return historyPage(app.db, request.query, (eb) => (own ? eb('record_id', '=', record.id) : eb.and([eb('record_id', '=', record.id), eb('actor_id', '=', caller.accountId)])));
      },
    );

    app.get(
      '/audit/events',
      {
        onRequest: app.requireAdmin,
        schema: {
          summary: "Administrators: the whole log's events in order (metadata only)",
          tags,
          security,
          querystring: Strict({ after: Type.Optional(Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
          response: { 200: Type.Object({ events: Type.Array(Type.Object({ index: Size, leaf: Type.String() })), next: Type.Union([Size, Type.Null()]) }), ...errors(401, 403) },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 100;
        const rows = await app.db
          .selectFrom('audit_events')
          .select(['idx', 'leaf'])
          .where('idx', '>', request.query.after ?? -1)
          .orderBy('idx')
          .limit(limit)
          .execute();
        const last = rows[rows.length - 1];
        return { events: rows.map((r) => ({ index: Number(r.idx), leaf: b64(r.leaf) })), next: rows.length === limit && last ? Number(last.idx) : null };
      },
    );

    app.get(
      '/audit/events/:index/address',
      {
        onRequest: app.authenticate,
        schema: {
          summary: "One event's client address and the opening of its leaf's commitment, until the retention time ends (administrators: any event; others: their own, and those about their records)",
          tags,
          security,
          params: Strict({ index: Size }),
          querystring: Strict({ size: Size }),
          response: {
            200: Type.Object({
              leaf: Type.String(),
              proof: Proof,
              address: Type.Union([Type.String(), Type.Null()], { description: 'null: none recorded, or erased' }),
              opening: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors(401, 404),
          },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        const { index } = request.params;
        const { size } = request.query;
        if (index >= size || size > (await treeSize(app.db))) throw new ERR.VALIDATION('need index < size <= the tree size');
        const event = await app.db
          .selectFrom('audit_events')
          .leftJoin('records', 'records.id', 'audit_events.record_id')
          .select(['audit_events.leaf', 'audit_events.actor_id', 'records.owner_id'])
          .where('audit_events.idx', '=', index)
          .executeTakeFirst();
        // Whoever is shown the event elsewhere: the administrator, its actor, its record's owner.
        const shown = event && (caller.isAdmin || event.actor_id === caller.accountId || event.owner_id === caller.accountId);
        if (!shown) throw new ERR.NOT_FOUND();
        const kept = await eventAddress(app.db, index);
        return {
          leaf: b64(event.leaf),
          proof: (await storedInclusionProof(app.db, index, size)).map(b64),
          address: kept?.address ?? null,
          opening: kept ? b64(kept.opening) : null,
        };
      },
    );
};

export default audit;
