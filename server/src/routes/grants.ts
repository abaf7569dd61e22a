import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findAccountById, findAccountByHandle } from '../accounts/repository.ts';
import { ERR } from '../errors.ts';
import { Bytes, Handle, Identity, Strict, Timestamp, Uuid, b64, decodeBytes, errors } from '../http/schemas.ts';
import { SEALED_RECORD_KEY_BYTES } from '@testimony-vault/protocol';
import { callerOf } from '../plugins/auth.ts';
import { ownedRecord, readableRecord } from '../records/repository.ts';
import { checkGrantSignature, checkGrantTimes, checkSealedKeyVersions, grantsOf, grantsTo, insertGrant, revokeGrant } from '../sharing/grants.ts';
import { identityToWire } from '../sharing/wire.ts';
import { Version } from './records/schemas.ts';

// Sharing a record with a named reviewer (docs/PROTOCOL.md "Grants"). Only the owner
// grants, lists and revokes; the server checks the owner's signature on every grant and
// never sees a record key, only keys sealed to the grantee.

const GrantStatus = Type.Union([Type.Literal('live'), Type.Literal('revoked'), Type.Literal('expired')]);
const Grant = Type.Object({
  id: Uuid,
  granteeId: Uuid,
  grantee: Type.Object({ handle: Handle, signPublicKey: Bytes(32), boxPublicKey: Bytes(32) }, { description: "the grantee's keys as the grant names them" }),
  grantedBy: Handle,
  keyVersion: Version,
  grantedAt: Timestamp,
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  revokedAt: Type.Union([Timestamp, Type.Null()]),
  status: GrantStatus,
  heldKeyVersion: Type.Union([Version, Type.Null()], { description: 'the newest key version sealed to the grantee' }),
  signature: Bytes(64),
});
const SharedRecord = Type.Object({
  recordId: Uuid,
  owner: Identity,
  keyVersion: Version,
  grantedAt: Timestamp,
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  signature: Bytes(64),
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

function millis(text: string): number {
  const ms = Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new ERR.VALIDATION('timestamps must be after 1970');
  return ms;
}

const grants: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['sharing'];
  const security = [{ session: [] }];
  const IdParams = Strict({ id: Uuid });
  app.addHook('onRequest', app.authenticate);

  app.post(
    '/records/:id/grants',
    {
      config: { auditRefusal: 'grant.share' },
      schema: {
        summary: 'Grant a reviewer read access to a record and its files (owner only)',
        tags,
        security,
        params: IdParams,
        body: Strict({
          grantee: Handle,
          keyVersion: Version,
          grantedAt: Timestamp,
          expiresAt: Type.Union([Timestamp, Type.Null()]),
          signature: Bytes(64, 'Ed25519 by the owner over the grant statement'),
          sealedKeys: Type.Array(Strict({ keyVersion: Version, sealedKey: Bytes(SEALED_RECORD_KEY_BYTES) }), {
            minItems: 1,
            maxItems: 10_000,
            description: 'the record key of each key version 1..current, sealed to the grantee',
          }),
        }),
        response: { 201: Type.Object({ id: Uuid, grantedAt: Timestamp }), ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const b = request.body;
      const g = {
        recordId: request.params.id,
        keyVersion: b.keyVersion,
        grantedAt: millis(b.grantedAt),
        expiresAt: b.expiresAt === null ? null : millis(b.expiresAt),
        signature: decodeBytes('signature', b.signature, 64),
        sealedKeys: b.sealedKeys.map((k) => ({ keyVersion: k.keyVersion, sealedKey: decodeBytes('sealedKey', k.sealedKey, SEALED_RECORD_KEY_BYTES) })),
      };
      const inserted = await app.db.transaction().execute(async (trx) => {
        // The record's row lock orders grants against key rotations (records/write.ts).
        const record = await ownedRecord(trx, g.recordId, caller.accountId, 'for update');
        const owner = await findAccountById(trx, caller.accountId);
        if (!owner) throw new ERR.UNAUTHENTICATED();
        const grantee = await findAccountByHandle(trx, b.grantee);
        if (!grantee) throw new ERR.UNKNOWN_USER();
        if (grantee.id === owner.id) throw new ERR.VALIDATION('the owner already holds the record');
        if (g.keyVersion !== record.current_key_version) throw new ERR.KEY_VERSION_CONFLICT();
        checkSealedKeyVersions(g.sealedKeys, record.current_key_version);
        checkGrantTimes(g, Date.now());
        checkGrantSignature(g, owner, grantee);
        const inserted = await insertGrant(trx, g, owner.id, grantee);
        await app.audit(trx, request, { action: 'grant.share', outcome: 'ok', recordId: record.id, subject: grantee.handle });
        return inserted;
      });
      reply.status(201);
      return { id: inserted.id, grantedAt: inserted.granted_at.toISOString() };
    },
  );

  app.get(
    '/records/:id/grants',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: 'Everyone who has or had access to a record, oldest grant first (owner only)',
        tags,
        security,
        params: IdParams,
        response: { 200: Type.Object({ grants: Type.Array(Grant) }), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const record = await ownedRecord(app.db, request.params.id, callerOf(request).accountId);
      const rows = await grantsOf(app.db, record.id);
      return {
        grants: rows.map((r) => ({
          id: r.id,
          granteeId: r.grantee_id,
          grantee: { handle: r.handle, signPublicKey: b64(r.grantee_sign_public_key), boxPublicKey: b64(r.grantee_box_public_key) },
          grantedBy: r.granted_by_handle,
          keyVersion: r.key_version,
          grantedAt: r.granted_at.toISOString(),
          expiresAt: iso(r.expires_at),
          revokedAt: iso(r.revoked_at),
          status: r.live ? ('live' as const) : r.expired ? ('expired' as const) : ('revoked' as const),
          heldKeyVersion: r.held_key_version ?? null,
          signature: b64(r.signature),
        })),
      };
    },
  );

  app.delete(
    '/records/:id/grants/:handle',
    {
      config: { auditRefusal: 'grant.revoke' },
      schema: {
        summary: "End a reviewer's access at once (owner only); the owner's client then rotates the record key",
        tags,
        security,
        params: Strict({ id: Uuid, handle: Handle }),
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      await app.db.transaction().execute(async (trx) => {
        const record = await ownedRecord(trx, request.params.id, caller.accountId, 'for update');
        const grantee = await findAccountByHandle(trx, request.params.handle);
        if (!grantee || !(await revokeGrant(trx, record.id, grantee.id))) throw new ERR.NOT_FOUND();
        await app.audit(trx, request, { action: 'grant.revoke', outcome: 'ok', recordId: record.id, subject: grantee.handle });
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/records/:id/keys',
    {
      config: { auditRefusal: 'record.read' },
      schema: {
        summary: "The record key of each key version, sealed to the caller (what the owner re-seals when it grants)",
        tags,
        security,
        params: IdParams,
        response: { 200: Type.Object({ keys: Type.Array(Type.Object({ keyVersion: Version, sealedKey: Bytes(SEALED_RECORD_KEY_BYTES) })) }), ...errors(401, 404) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const record = await readableRecord(app.db, request.params.id, caller.accountId);
      if (!record) throw new ERR.NOT_FOUND();
      const rows = await app.db
        .selectFrom('record_keys')
        .select(['key_version', 'sealed_key'])
        .where('record_id', '=', record.id)
        .where('recipient_id', '=', caller.accountId)
        .orderBy('key_version')
        .execute();
      // Sealed record keys are ciphertext of this record handed to the caller: a read. [Note: reads are logged before they are served]
      await app.auditAlone(request, { action: 'record.read', outcome: 'ok', recordId: record.id });
      return { keys: rows.map((r) => ({ keyVersion: r.key_version, sealedKey: b64(r.sealed_key) })) };
    },
  );

  app.get(
    '/shared',
    {
      schema: {
        summary: 'Records shared with the caller by live grants, newest first',
        tags,
        security,
        response: { 200: Type.Object({ records: Type.Array(SharedRecord) }), ...errors(401) },
      },
    },
    async (request) => {
      const rows = await grantsTo(app.db, callerOf(request).accountId);
      return {
        records: rows.map((r) => ({
          recordId: r.record_id,
          owner: identityToWire(r),
          keyVersion: r.key_version,
          grantedAt: r.granted_at.toISOString(),
          expiresAt: iso(r.expires_at),
          signature: b64(r.signature),
        })),
      };
    },
  );
};

export default grants;
