import { Type } from '@fastify/type-provider-typebox';
import { SEALED_RECORD_KEY_BYTES } from '@testimony-vault/protocol';
import { Bytes, BytesUpTo, Handle, Identity, Strict, Timestamp, Uuid } from '../../http/schemas.ts';
import { b64 } from '../../http/schemas.ts';
import type { VersionRow } from '../../records/repository.ts';

export const Version = Type.Integer({ minimum: 1, maximum: 2147483647 });

export const SealedKey = Strict({ recipientId: Uuid, sealedKey: Bytes(SEALED_RECORD_KEY_BYTES) });

export function schemasFor(maxBodyBytes: number) {
  const Body = BytesUpTo(maxBodyBytes, 'envelope: 0x01 ‖ nonce ‖ XChaCha20-Poly1305 ciphertext of the padded body');
  return {
    CreateRecord: Strict({
      id: Uuid,
      version: Type.Literal(1),
      keyVersion: Type.Literal(1),
      body: Body,
      signature: Bytes(64),
      sealedKeys: Type.Array(SealedKey, { minItems: 1, maxItems: 1, description: "the record key sealed to the owner's X25519 key" }),
    }),
    NewVersion: Strict({
      version: Version,
      keyVersion: Version,
      body: Body,
      signature: Bytes(64),
      sealedKeys: Type.Optional(Type.Array(SealedKey, { maxItems: 1000, description: 'required when the key version changes' })),
    }),
  };
}

export const DeleteRecord = Strict({
  version: Version,
  signature: Bytes(64, "Ed25519 by the owner over tvault/v1/record-delete ‖ record id ‖ u32be(version); version must be the record's current one"),
});

export const GrantProof = Type.Object(
  {
    keyVersion: Version,
    grantedAt: Timestamp,
    expiresAt: Type.Union([Timestamp, Type.Null()]),
    signature: Bytes(64, 'Ed25519 by the owner over the grant statement (docs/PROTOCOL.md "Grants")'),
  },
  { description: "the caller's live grant, when the caller is not the owner" },
);

export const RecordVersion = Type.Object({
  id: Uuid,
  version: Version,
  keyVersion: Version,
  latestVersion: Version,
  body: Type.String(),
  signature: Bytes(64),
  sealedKey: Bytes(SEALED_RECORD_KEY_BYTES),
  createdAt: Timestamp,
  owner: Handle,
  author: Identity,
  grant: Type.Union([GrantProof, Type.Null()]),
});

export const Created = Type.Object({ id: Uuid, version: Version, createdAt: Timestamp });

export function toWire(row: VersionRow & { sealed_key: Buffer }) {
  return {
    id: row.id,
    version: row.version,
    keyVersion: row.key_version,
    latestVersion: row.current_version,
    body: b64(row.body),
    signature: b64(row.signature),
    sealedKey: b64(row.sealed_key),
    createdAt: row.created_at.toISOString(),
    owner: row.owner_handle,
    author: {
      handle: row.author_handle,
      signPublicKey: b64(row.author_sign_pk),
      boxPublicKey: b64(row.author_box_pk),
      signature: b64(row.author_signature),
    },
    grant:
      row.grant_signature && row.grant_key_version !== null && row.grant_granted_at
        ? {
            keyVersion: row.grant_key_version,
            grantedAt: row.grant_granted_at.toISOString(),
            expiresAt: row.grant_expires_at?.toISOString() ?? null,
            signature: b64(row.grant_signature),
          }
        : null,
  };
}
