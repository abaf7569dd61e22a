import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { answerError } from './errors.ts';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { AUDIT_EVENTS_HEADER, type AuditAction, type AuditOutcome } from '@testimony-vault/protocol';
import { appendEvent, type AuditEntry } from '../audit/log.ts';
import { groupedAppender } from '../audit/grouped.ts';
import { loadLogKey, type LogKey } from '../audit/log-key.ts';

type Described = Omit<AuditEntry, 'actor' | 'ip'> & { actor?: AuditEntry['actor'] };

declare module 'fastify' {
  interface FastifyInstance {
    logKey: LogKey;
    /** Appends an event about this request inside the action's transaction (fail closed). */
    audit(trx: Transaction<Database>, request: FastifyRequest, e: Described): Promise<number>;
    /** Appends an event that commits on its own (for reads that change nothing, refusals). */
    auditAlone(request: FastifyRequest, e: Described): Promise<number>;
    /** Appends several events, by one statement that commits on its own. */
    auditManyAlone(request: FastifyRequest, es: readonly Described[]): Promise<number[]>;
  }
  interface FastifyRequest {
    /** Events this request appended, as the Audit-Events header tells them ([Note: told events]). */
    auditTold: { index: number; recordId: string | null }[] | null;
  }
  interface FastifyContextConfig {
    /** Record-scoped routes: the action a refusal (403/404) of this route is logged as. */
    auditRefusal?: AuditAction;
  }
}

// [Note: reads are logged before they are served]
// A change appends its event in the change's own transaction: both commit or neither does.
// A read changes nothing in the database; what must not happen without its event is the
// ciphertext leaving the server. So a read selects what it will serve, then appends its
// event by one statement that commits on its own, and only then answers: if the append
// fails, the caller gets an error and no ciphertext (fail closed). Holding the read's
// transaction open for the append would add nothing (each statement of a read-committed
// transaction sees its own snapshot anyway) and would keep the log's lock held across a
// round trip to Node (the COMMIT), which is what made auditing costly under load
// (docs/PERFORMANCE.md, "Audit log"). File downloads log once, before the first byte.

// [Note: told events]
// Every answer that appended events says which, in the header `Audit-Events`: a list of
// `<index>` or `<index>:<recordId>` joined by ", ", in the order they were appended. A client
// remembers its own events about each record and requires them in that record's history
// later, so the server cannot leave out the newest accesses (docs/PROTOCOL.md "Events told
// to the client"). The indices come back from the appends themselves (grouped ones
// included): no query is added. Only answers below 400 carry it: a refusal's event is not
// the client's to remember, and a failed action's in-transaction event rolled back.

// [Note: refusals are events]
// A 403 or 404 from a route that names a record or file is logged as a refused attempt
// (outcome `expired` when the caller held a grant on the record that ran out), by one
// hook rather than in every route. It runs before the response is sent: if the event
// cannot be written, the caller gets a 500 instead of the refusal.
export default fp<{ recordEvents: boolean }>(
  async (app, { recordEvents }) => {
    const logKey = await loadLogKey(app.config);
    app.decorate('logKey', logKey);

    function entry(request: FastifyRequest, e: Described): AuditEntry {
      const caller = request.caller;
      return {
        actor: e.actor === undefined ? (caller ? { id: caller.accountId, handle: caller.handle } : null) : e.actor,
        ip: app.config.AUDIT_LOG_IP ? request.ip : null,
        ...e,
      } as AuditEntry;
    }
    function tell(request: FastifyRequest, es: readonly Described[], indices: readonly number[]): void {
      const told = (request.auditTold ??= []);
      es.forEach((e, i) => told.push({ index: indices[i]!, recordId: e.recordId ?? null }));
    }
    const off = async () => -1;
    const grouped = groupedAppender(app.db);
    app.decorateRequest('auditTold', null);
    app.decorate(
      'audit',
      recordEvents
        ? async (trx: Transaction<Database>, request: FastifyRequest, e: Described) => {
            const index = await appendEvent(trx, entry(request, e));
            tell(request, [e], [index]);
            return index;
          }
        : off,
    );
    app.decorate(
      'auditAlone',
      // Outside any transaction, grouped with others arriving meanwhile ([Note: grouped appends]).
      recordEvents
        ? async (request: FastifyRequest, e: Described) => {
            const [index] = await grouped([entry(request, e)]);
            tell(request, [e], [index!]);
            return index!;
          }
        : off,
    );
    app.decorate(
      'auditManyAlone',
      recordEvents
        ? async (request: FastifyRequest, es: readonly Described[]) => {
            const indices = await grouped(es.map((e) => entry(request, e)));
            tell(request, es, indices);
            return indices;
          }
        : async () => [],
    );

    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
      const told = request.auditTold;
      if (told && told.length > 0 && reply.statusCode < 400) {
        reply.header(AUDIT_EVENTS_HEADER, told.map((e) => (e.recordId ? `${e.index}:${e.recordId}` : String(e.index))).join(', '));
      }
      return payload;
    });

    async function refusalOutcome(recordId: string | null, callerId: string | undefined): Promise<AuditOutcome> {
      if (!recordId || !callerId) return 'refused';
      const expired = await app.db
        .selectFrom('grants')
        .select('id')
        .where('record_id', '=', recordId)
        .where('grantee_id', '=', callerId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '<=', sql<Date>`now()`)
        .executeTakeFirst();
      return expired ? 'expired' : 'refused';
    }

    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
      const action = request.routeOptions.config.auditRefusal;
      if (!action || (reply.statusCode !== 403 && reply.statusCode !== 404) || !request.caller) return payload;
      const params = (request.params ?? {}) as { id?: string; fileId?: string; recordId?: string };
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      const fileId = params.fileId && uuid.test(params.fileId) ? params.fileId : null;
      let recordId = params.id && uuid.test(params.id) ? params.id : null;
      try {
        // A team route naming a team's record (/teams/:id/records/:recordId…): logged under the
        // record, whatever team id the caller put in the path, so its case's history shows it.
        if (params.recordId && uuid.test(params.recordId)) {
          recordId = (await app.db.selectFrom('team_records').select('id').where('id', '=', params.recordId).executeTakeFirst())?.id ?? recordId;
        }
        if (!recordId && fileId) {
          recordId = (await app.db.selectFrom('files').select('record_id').where('id', '=', fileId).executeTakeFirst())?.record_id ?? null;
        }
        if (!recordId && !fileId) return payload;
        const outcome = await refusalOutcome(recordId, request.caller.accountId);
        await app.auditAlone(request, { action, outcome, recordId, fileId });
        return payload;
      } catch (err) {
        // Past the error handler: the refusal's answer is replaced here, by the same rules
        // (a 500, or a 503 when the database is away), never the database's own message; and
        // never another 4xx, which would read as one more refusal.
        reply.header('content-type', 'application/json; charset=utf-8');
        return JSON.stringify(answerError(err as FastifyError, request, reply, { serverFault: true }));
      }
    });
  },
  { name: 'audit', dependencies: ['database'] },
);
