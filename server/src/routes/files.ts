import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CHUNK_OVERHEAD, MAX_CHUNK_SIZE, MAX_PART_CHUNKS, MAX_PART_PLAINTEXT, MIN_CHUNK_SIZE, STREAM_HEADER_BYTES, WRAPPED_COMMITTED_FILE_KEY_BYTES, WRAPPED_FILE_KEY_BYTES,
} from '@testimony-vault/protocol';
import { ERR } from '../errors.ts';
import { Bytes, Strict, Timestamp, Uuid, b64, decodeBytes, errors } from '../http/schemas.ts';
import { callerOf } from '../plugins/auth.ts';
import { ownedRecord } from '../records/repository.ts';
import { ownFile, readableFile, storedBytesOf } from '../files/repository.ts';
import { PostgresChunkStore, takesCopyIn } from '../files/store.ts';
import { received, streamPart } from '../files/part-upload.ts';
import { checkCompletion, splitPart } from '../files/parts.ts';
import { parseChunkRange } from '../files/range.ts';
import { ChunkDownload } from '../files/download-stream.ts';

const FileId = Strict({ fileId: Uuid });
/** Either envelope of PROTOCOL.md "Wrapped file key": plain, or also committing to the plaintext. */
const WrappedKey = (description?: string) => Type.Union([Bytes(WRAPPED_FILE_KEY_BYTES, description), Bytes(WRAPPED_COMMITTED_FILE_KEY_BYTES, description)]);
const UploadStatus = Type.Object({
  fileId: Uuid,
  chunkSize: Type.Integer(),
  partChunks: Type.Integer(),
  header: Bytes(STREAM_HEADER_BYTES),
  wrappedKey: WrappedKey(),
  storedChunks: Type.Array(Type.Integer(), { description: 'indices of the chunks the server holds' }),
  storedBytes: Type.Integer(),
  complete: Type.Boolean(),
  expiresAt: Type.Union([Timestamp, Type.Null()]),
});

// Chunks per query when downloading ([Note: download slots]): a download holds two batches
// and a connection only while one is read.
const DOWNLOAD_BATCH = 4;

const files: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['files'];
  const security = [{ session: [] }];
  const store = new PostgresChunkStore(app.db);
  const { FILE_MAX_BYTES, USER_QUOTA_BYTES, UPLOAD_TTL_SECONDS } = app.config;
  const maxPartBytes = MAX_PART_PLAINTEXT + MAX_PART_CHUNKS * CHUNK_OVERHEAD;
  app.addHook('onRequest', app.authenticate);
  // Parts are opaque ciphertext. On PostgreSQL a part streams into the database as it
  // arrives ([Note: streamed parts]); the embedded database's socket server does not take
  // COPY FROM STDIN, so there a part is buffered (bounded) and inserted chunk by chunk.
  // Never a whole file either way.
  // Asked of the database on the first part, not at start-up (which needs no database).
  let streaming: Promise<boolean> | undefined;
  const takesStreams = () => (streaming ??= takesCopyIn(app.db).catch((err: unknown) => ((streaming = undefined), Promise.reject(err))));
  // A part arriving while half the pool is busy with streamed parts is received first and
  // then copied: slow senders cannot hold every database connection.
  const streamSlots = Math.max(1, Math.floor(app.config.DB_POOL_MAX / 2));
  let streamsOpen = 0;
  app.addContentTypeParser('application/octet-stream', (request, payload, done) => {
    if (Number(request.headers['content-length'] ?? 0) > maxPartBytes) return done(new ERR.BODY_TOO_LARGE(), undefined);
    done(null, payload);
  });

  /**
   * An upload's state, with its file key wrapped under the owner's master key. For a complete
   * file that key belongs to evidence, so handing it out is a read, logged before it is served
   * ([Note: reads are logged before they are served]); `completing` is the request that has
   * just completed it, whose own event (file.upload) says so.
   */
  async function status(request: FastifyRequest, fileId: string, completing = false) {
    const file = await ownFile(app.db, fileId, callerOf(request).accountId);
    if (!file) throw new ERR.NOT_FOUND();
    const chunks = await store.chunkIndices(fileId);
    if (file.completed_at !== null && !completing) await app.auditAlone(request, { action: 'record.read', outcome: 'ok', recordId: file.record_id, fileId });
    return {
      fileId,
      chunkSize: file.chunk_size,
      partChunks: file.part_chunks,
      header: b64(file.header),
      wrappedKey: b64(file.wrapped_key),
      storedChunks: chunks.map((c) => c.idx),
      storedBytes: Number(file.stored_bytes),
      complete: file.completed_at !== null,
      expiresAt: file.expires_at?.toISOString() ?? null,
    };
  }

  app.post(
    '/records/:id/files',
    {
      config: { auditRefusal: 'file.upload' },
      schema: {
        summary: 'Start an upload of an encrypted file into a record (owner only)',
        tags,
        security,
        params: Strict({ id: Uuid }),
        body: Strict({
          fileId: Uuid,
          chunkSize: Type.Integer({ minimum: MIN_CHUNK_SIZE, maximum: MAX_CHUNK_SIZE }),
          partChunks: Type.Integer({ minimum: 1, maximum: MAX_PART_CHUNKS }),
          header: Bytes(STREAM_HEADER_BYTES, 'secretstream header'),
          wrappedKey: WrappedKey("the file key and header wrapped under the owner's master key"),
          size: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'plaintext size, when known: checked against limits at once' })),
        }),
        response: { 201: UploadStatus, ...errors(401, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { fileId, chunkSize, partChunks, header, wrappedKey, size } = request.body;
      if (chunkSize * partChunks > MAX_PART_PLAINTEXT) throw new ERR.VALIDATION('a part may hold at most 32 MiB');
      const record = await ownedRecord(app.db, request.params.id, caller.accountId);
      if (size !== undefined) {
        const encrypted = size + (Math.floor(size / chunkSize) + 1) * CHUNK_OVERHEAD;
        if (encrypted > FILE_MAX_BYTES) throw new ERR.FILE_TOO_LARGE();
        if ((await storedBytesOf(app.db, caller.accountId)) + encrypted > USER_QUOTA_BYTES) throw new ERR.QUOTA_EXCEEDED();
      }
      const inserted = await app.db
        .insertInto('files')
        .values({
          id: fileId,
          record_id: record.id,
          owner_id: caller.accountId,
          chunk_size: chunkSize,
          part_chunks: partChunks,
          header: decodeBytes('header', header, STREAM_HEADER_BYTES),
          wrapped_key: decodeBytes('wrappedKey', wrappedKey),
          declared_size: size ?? null,
          expires_at: new Date(Date.now() + UPLOAD_TTL_SECONDS * 1000),
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) throw new ERR.FILE_EXISTS();
      reply.status(201);
      return status(request, fileId);
    },
  );

  app.get(
    '/files/:fileId/upload',
    { config: { auditRefusal: 'file.upload' }, schema: { summary: 'Which chunks of an upload the server holds (to resume)', tags, security, params: FileId, response: { 200: UploadStatus, ...errors(401, 404) } } },
    async (request) => status(request, request.params.fileId),
  );

  app.put(
    '/files/:fileId/parts/:part',
    {
      config: { auditRefusal: 'file.upload' },
      schema: {
        summary: 'Store one part: whole encrypted chunks, committed together (idempotent)',
        tags,
        security,
        params: Strict({ fileId: Uuid, part: Type.Integer({ minimum: 0, maximum: 10_000_000 }) }),
        consumes: ['application/octet-stream'],
        response: { 200: Type.Object({ part: Type.Integer(), chunks: Type.Integer(), storedBytes: Type.Integer() }), ...errors(401, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const payload: unknown = request.body;
      const { fileId, part } = request.params;
      if (!(payload instanceof Readable)) throw new ERR.UNSUPPORTED_MEDIA_TYPE();
      if (await takesStreams()) {
        const limits = { fileMaxBytes: FILE_MAX_BYTES, quotaBytes: USER_QUOTA_BYTES };
        if (streamsOpen >= streamSlots) return streamPart(app.db, caller.accountId, fileId, part, Readable.from(await received(payload, maxPartBytes)), limits);
        streamsOpen += 1;
        try {
          return await streamPart(app.db, caller.accountId, fileId, part, payload, limits);
        } finally {
          streamsOpen -= 1;
        }
      }
      const body = Buffer.concat(await received(payload, maxPartBytes));
      return app.db.transaction().execute(async (trx) => {
        const file = await trx.selectFrom('files').selectAll().where('id', '=', fileId).where('owner_id', '=', caller.accountId).forUpdate().executeTakeFirst();
        if (!file) throw new ERR.NOT_FOUND();
        if (file.completed_at) throw new ERR.UPLOAD_COMPLETE();
        // The quota is a sum over all the account's files: parts of different uploads sent at
        // once must take turns, or each would pass the check on its own.
        await trx.selectFrom('accounts').select('id').where('id', '=', caller.accountId).forUpdate().executeTakeFirst();
        const chunks = splitPart(body, file.chunk_size, file.part_chunks);
        const first = part * file.part_chunks;
        const removed = await store.putChunks(trx, fileId, first, first + file.part_chunks, chunks);
        const storedBytes = Number(file.stored_bytes) - removed + body.length;
        if (storedBytes > FILE_MAX_BYTES) throw new ERR.FILE_TOO_LARGE();
        if ((await storedBytesOf(trx, caller.accountId)) - Number(file.stored_bytes) + storedBytes > USER_QUOTA_BYTES) throw new ERR.QUOTA_EXCEEDED();
        await trx.updateTable('files').set({ stored_bytes: storedBytes }).where('id', '=', fileId).execute();
        return { part, chunks: chunks.length, storedBytes };
      });
    },
  );

  app.post(
    '/files/:fileId/complete',
    {
      config: { auditRefusal: 'file.upload' },
      schema: {
        summary: 'Finish an upload: every chunk present, only the last one short',
        tags,
        security,
        params: FileId,
        body: Strict({ totalChunks: Type.Integer({ minimum: 1, maximum: 2147483647 }), encryptedSize: Type.Integer({ minimum: CHUNK_OVERHEAD, maximum: Number.MAX_SAFE_INTEGER }) }),
        response: { 200: UploadStatus, ...errors(401, 404, 409) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { fileId } = request.params;
      const completedNow = await app.db.transaction().execute(async (trx) => {
        const file = await trx.selectFrom('files').selectAll().where('id', '=', fileId).where('owner_id', '=', caller.accountId).forUpdate().executeTakeFirst();
        if (!file) throw new ERR.NOT_FOUND();
        if (file.completed_at) return false;
        checkCompletion(await store.chunkIndices(fileId, trx), file.chunk_size, request.body.totalChunks, request.body.encryptedSize);
        await trx.updateTable('files').set({ completed_at: new Date(), total_chunks: request.body.totalChunks, expires_at: null }).where('id', '=', fileId).execute();
        await app.audit(trx, request, { action: 'file.upload', outcome: 'ok', recordId: file.record_id, fileId });
        return true;
      });
      return status(request, fileId, completedNow);
    },
  );

  // Only an upload that never completed can be abandoned this way. A complete file is
  // evidence in a signed manifest: it goes with its record's signed deletion, so a stolen
  // session token alone cannot destroy it.
  app.delete(
    '/files/:fileId',
    { config: { auditRefusal: 'file.abandon' }, schema: { summary: 'Abandon an upload that was never completed (owner only)', tags, security, params: FileId, response: { 204: Type.Null(), ...errors(401, 404, 409) } } },
    async (request, reply) => {
      await app.db.transaction().execute(async (trx) => {
        // Locked, so an upload completing at the same moment is either abandoned first or refused here.
        const file = await trx.selectFrom('files').selectAll().where('id', '=', request.params.fileId).where('owner_id', '=', callerOf(request).accountId).forUpdate().executeTakeFirst();
        if (!file) throw new ERR.NOT_FOUND();
        if (file.completed_at) throw new ERR.UPLOAD_COMPLETE();
        await trx.deleteFrom('files').where('id', '=', file.id).execute();
        await app.audit(trx, request, { action: 'file.abandon', outcome: 'ok', recordId: file.record_id, fileId: file.id });
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/files/:fileId',
    {
      config: { auditRefusal: 'file.download' },
      schema: {
        summary: 'Download the encrypted chunks of a complete file; a chunk-aligned Range resumes',
        tags,
        security,
        params: FileId,
        response: { 200: Type.String({ format: 'binary' }), 206: Type.String({ format: 'binary' }), ...errors(401, 404, 416) },
      },
    },
    async (request, reply) => {
      const file = await readableFile(app.db, request.params.fileId, callerOf(request).accountId);
      if (!file?.completed_at || file.total_chunks === null) throw new ERR.NOT_FOUND();
      const total = Number(file.stored_bytes);
      const stride = file.chunk_size + CHUNK_OVERHEAD;
      const range = parseChunkRange(request.headers.range, stride, total);
      // One event per download request (a resumed download is a new request), before any byte is sent.
      await app.auditAlone(request, { action: 'file.download', outcome: 'ok', recordId: file.record_id, fileId: file.id });
      const firstChunk = range ? range.start / stride : 0;
      const body = new ChunkDownload(store, file.id, firstChunk, file.total_chunks, stride, DOWNLOAD_BATCH, reply.raw);
      reply.header('content-type', 'application/octet-stream');
      reply.header('accept-ranges', 'bytes');
      reply.header('x-chunk-size', String(file.chunk_size));
      reply.header('content-length', String(total - (range?.start ?? 0)));
      if (range) {
        reply.status(206);
        reply.header('content-range', `bytes ${range.start}-${total - 1}/${total}`);
      }
      // A stream body: the response schema above documents it; serialization does not apply.
      return reply.send(body as unknown as string);
    },
  );
};

export default files;
