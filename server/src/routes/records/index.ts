import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findAccountById } from '../../accounts/repository.ts';
import { ERR } from '../../errors.ts';
import { Strict, Token, Uuid, decodeBytes, errors } from '../../http/schemas.ts';
import { MIN_ENVELOPE_BYTES, SEALED_RECORD_KEY_BYTES } from '@testimony-vault/protocol';
import { callerOf, type Caller } from '../../plugins/auth.ts';
import { getVersion, listLatest, listVersions, ownedRecord, readableRecord, type VersionRow } from '../../records/repository.ts';
import { checkDeleteSignature, checkRotationRecipients, checkVersionSignature, insertVersion, type VersionWrite } from '../../records/write.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { Created, DeleteRecord, RecordVersion, Version, schemasFor, toWire } from './schemas.ts';

const records: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['records'];
  const security = [{ session: [] }];
  const maxBody = app.config.RECORD_MAX_BYTES;
  const { CreateRecord, NewVersion } = schemasFor(maxBody);
  // base64 inflates by 4/3; room for the other fields on top.
  const bodyLimit = Math.ceil((maxBody * 4) / 3) + 64 * 1024 + 1000 * 200;
  app.addHook('onRequest', app.authenticate);

  function decodeWrite(recordId: string, b: { version: number; keyVersion: number; body: string; signature: string; sealedKeys?: { recipientId: string; sealedKey: string }[] | undefined }): VersionWrite {
    const body = decodeBytes('body', b.body);
    if (body.length < MIN_ENVELOPE_BYTES) throw new ERR.BAD_ENCODING('body');
    if (body.length > maxBody) throw new ERR.BODY_TOO_LARGE();
    return {
      recordId,
      version: b.version,
      keyVersion: b.keyVersion,
      body,
      signature: decodeBytes('signature', b.signature, 64),
      sealedKeys: (b.sealedKeys ?? []).map((k) => ({ recipientId: k.recipientId, sealedKey: decodeBytes('sealedKey', k.sealedKey, SEALED_RECORD_KEY_BYTES) })),
    };
  }

  async function signingKeyOf(caller: Caller): Promise<Buffer> {
    const account = await findAccountById(app.db, caller.accountId);
    if (!account) throw new ERR.UNAUTHENTICATED();
    return account.sign_public_key;
  }

  function served(row: VersionRow | undefined) {
    // No sealed key for the caller at this key version: nothing it could decrypt.
    if (!row?.sealed_key) throw new ERR.NOT_FOUND();
    return toWire({ ...row, sealed_key: row.sealed_key });
  }

  app.post(
    '/',
    { bodyLimit, schema: { summary: 'Create a record (version 1)', tags, security, body: CreateRecord, response: { 201: Created, ...errors(401, 409, 413) } } },
    async (request, reply) => {
      const caller = callerOf(request);
      const { id } = request.body;
      const write = decodeWrite(id, request.body);
      if (write.sealedKeys[0]?.recipientId !== caller.accountId) throw new ERR.VALIDATION('the record key must be sealed to its owner');
      checkVersionSignature(write, await signingKeyOf(caller));
      const now = new Date();
      await app.db.transaction().execute(async (trx) => {
        // An id the log already names (a deleted record's) is never reused: its history
        // would otherwise read as the new record's.
        const known = await trx.selectFrom('audit_events').select('idx').where('record_id', '=', id).limit(1).executeTakeFirst();
        if (known) throw new ERR.RECORD_EXISTS();
        const inserted = await trx
          .insertInto('records')
          .values({ id, owner_id: caller.accountId, current_version: 1, current_key_version: 1, created_at: now, updated_at: now })
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) throw new ERR.RECORD_EXISTS();
        await insertVersion(trx, write, caller.accountId, now);
        await app.audit(trx, request, { action: 'record.create', outcome: 'ok', recordId: id });
      });
      reply.status(201);
      return { id, version: 1, createdAt: now.toISOString() };
    },
  );

  app.get(
    '/',
    {
      schema: {
        summary: 'The latest version of each record the caller can read, newest change first',
        tags,
        security,
        querystring: Strict({ cursor: Type.Optional(Token(200)), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }),
        response: { 200: Type.Object({ records: Type.Array(RecordVersion), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors(401) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const limit = request.query.limit ?? 50;
      const before = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor);
      const rows = await listLatest(app.db, caller.accountId, before, limit + 1);
      const page = rows.slice(0, limit).filter((r) => r.sealed_key);
      // Each record whose ciphertext is handed out is a read. [Note: reads are logged before they are served]
      await app.auditManyAlone(request, page.map((r) => ({ action: 'record.read', outcome: 'ok', recordId: r.id })));
      const last = rows.slice(0, limit)[limit - 1];
      return {
        records: page.map((r) => served(r)),
        nextCursor: rows.length > limit && last ? encodeCursor(last.updated_at, last.id) : null,
      };
    },
  );

  const IdParams = Strict({ id: Uuid });

  app.get(
    '/:id',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: 'One version of a record (the latest by default)',
        tags,
        security,
        params: IdParams,
        querystring: Strict({ version: Type.Optional(Version) }),
        response: { 200: RecordVersion, ...errors(401, 404) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const record = await readableRecord(app.db, request.params.id, caller.accountId);
      if (!record) throw new ERR.NOT_FOUND();
      const version = served(await getVersion(app.db, record.id, request.query.version ?? record.current_version, caller.accountId));
      await app.auditAlone(request, { action: 'record.read', outcome: 'ok', recordId: record.id });
      return version;
    },
  );

  app.get(
    '/:id/versions',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: 'Every version of a record, oldest first, a page at a time',
        tags,
        security,
        params: IdParams,
        querystring: Strict({ after: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
        response: { 200: Type.Object({ versions: Type.Array(RecordVersion), next: Type.Union([Type.Integer(), Type.Null()]) }), ...errors(401, 404) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const limit = request.query.limit ?? 20;
      const record = await readableRecord(app.db, request.params.id, caller.accountId);
      if (!record) throw new ERR.NOT_FOUND();
      const rows = await listVersions(app.db, record.id, caller.accountId, request.query.after ?? 0, limit);
      await app.auditAlone(request, { action: 'record.read', outcome: 'ok', recordId: record.id });
      const last = rows[rows.length - 1];
      return {
        versions: rows.filter((r) => r.sealed_key).map((r) => served(r)),
        next: rows.length === limit && last && last.version < record.current_version ? last.version : null,
      };
    },
  );

  app.post(
    '/:id/versions',
    {
      bodyLimit,
      config: { auditRefusal: 'record.update' },
      schema: {
        summary: 'Write the next version of a record (owner only); nothing is overwritten. A new key version re-seals the key to the owner and every live grantee',
        tags,
        security,
        params: IdParams,
        body: NewVersion,
        response: { 201: Created, ...errors(401, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const write = decodeWrite(request.params.id, request.body);
      const signPk = await signingKeyOf(caller);
      const now = new Date();
      await app.db.transaction().execute(async (trx) => {
        const record = await ownedRecord(trx, write.recordId, caller.accountId, 'for update');
        if (write.version !== record.current_version + 1) throw new ERR.VERSION_CONFLICT();
        const rotating = write.keyVersion === record.current_key_version + 1;
        if (!rotating && write.keyVersion !== record.current_key_version) throw new ERR.KEY_VERSION_CONFLICT();
        if (!rotating && write.sealedKeys.length > 0) throw new ERR.VALIDATION('sealed keys are sent only when the key version changes');
        if (rotating && !write.sealedKeys.some((k) => k.recipientId === caller.accountId)) {
          throw new ERR.VALIDATION('a new record key must be sealed to its owner');
        }
        if (rotating) await checkRotationRecipients(trx, record.id, caller.accountId, write.sealedKeys);
        checkVersionSignature(write, signPk);
        await insertVersion(trx, write, caller.accountId, now);
        await trx
          .updateTable('records')
          .set({ current_version: write.version, current_key_version: write.keyVersion, updated_at: now })
          .where('id', '=', record.id)
          .execute();
        await app.audit(trx, request, { action: 'record.update', outcome: 'ok', recordId: record.id });
      });
      reply.status(201);
      return { id: write.recordId, version: write.version, createdAt: now.toISOString() };
    },
  );

  app.delete(
    '/:id',
    {
      config: { auditRefusal: 'record.delete' },
      schema: {
        summary: "Delete a record (owner's signature required): its versions and every sealed key are destroyed",
        tags,
        security,
        params: IdParams,
        body: DeleteRecord,
        response: { 204: Type.Null(), ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      // A session token alone must not destroy testimony: the owner signs the deletion of
      // this record at its current version (docs/PROTOCOL.md "Deletion").
      const caller = callerOf(request);
      const { id } = request.params;
      const signature = decodeBytes('signature', request.body.signature, 64);
      const signPk = await signingKeyOf(caller);
      await app.db.transaction().execute(async (trx) => {
        const record = await ownedRecord(trx, id, caller.accountId, 'for update');
        checkDeleteSignature(id, request.body.version, signature, signPk);
        if (request.body.version !== record.current_version) throw new ERR.VERSION_CONFLICT();
        await trx.deleteFrom('records').where('id', '=', id).execute();
        await app.audit(trx, request, { action: 'record.delete', outcome: 'ok', recordId: id });
      });
      return reply.status(204).send(null);
    },
  );
};

export default records;
