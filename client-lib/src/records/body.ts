import { fromUtf8, utf8, recordBodyAad } from '@testimony-vault/protocol';
import { open, seal } from '../crypto/aead.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { IntegrityError, VaultError } from '../errors.ts';
import { paddedLength } from './padding.ts';
import type { RecordBodyV1, RecordBodyV2, RecordFields } from './types.ts';

export type RecordBody = RecordBodyV1 | RecordBodyV2;

/** Encrypts a body: JSON → UTF-8 → Padmé padding (ISO/IEC 7816-4, sodium_pad) → AEAD. */
export function encryptBody(s: Sodium, key: Uint8Array, recordId: string, version: number, keyVersion: number, body: RecordBody): Uint8Array {
  const json = utf8(JSON.stringify(body));
  const padded = s.pad(json, paddedLength(json.length));
  return seal(s, key, padded, recordBodyAad(recordId, version, keyVersion));
}

export function decryptBody(s: Sodium, key: Uint8Array, recordId: string, version: number, keyVersion: number, envelope: Uint8Array): RecordBody {
  const padded = open(s, key, envelope, recordBodyAad(recordId, version, keyVersion), `record ${recordId} v${version}`);
  let body: unknown;
  try {
    body = JSON.parse(fromUtf8(s.unpad(padded, padded.length)));
  } catch {
    throw new IntegrityError(`record ${recordId} v${version}: body is not padded JSON`);
  }
  return checkBody(body, recordId, version);
}

function checkBody(body: unknown, recordId: string, version: number): RecordBody {
  const b = body as Partial<RecordBodyV1 | RecordBodyV2> | null;
  const ok =
    typeof b === 'object' && b !== null && (b.v === 1 || b.v === 2) && Array.isArray(b.attachments) &&
    typeof b.createdAt === 'string' && typeof b.writtenAt === 'string' && isFields(b.fields);
  if (!ok) throw new IntegrityError(`record ${recordId} v${version}: body is not a version-1 or version-2 record`);
  if (b.v === 2) {
    const keyed = (a: unknown) => typeof a === 'object' && a !== null && (typeof (a as { key?: unknown }).key === 'string') !== (typeof (a as { withheldKey?: unknown }).withheldKey === 'string');
    if (!(b.attachments ?? []).every(keyed) || (b.redactedGrantees !== undefined && typeof b.redactedGrantees !== 'string')) {
      throw new IntegrityError(`record ${recordId} v${version}: a version-2 attachment needs exactly one of key and withheldKey`);
    }
    if (b.keys !== 'seed' && b.keys !== 'v1') throw new IntegrityError(`record ${recordId} v${version}: a version-2 body must say what its key version holds`);
  }
  return b as RecordBody;
}

function isFields(f: unknown): f is RecordFields {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) return false;
  const r = f as Record<string, unknown>;
  const optionalString = (k: string) => r[k] === undefined || typeof r[k] === 'string';
  return (
    typeof r.title === 'string' && typeof r.narrative === 'string' &&
    optionalString('occurredAt') && optionalString('place') && optionalString('language') &&
    (r.tags === undefined || (Array.isArray(r.tags) && r.tags.every((t) => typeof t === 'string')))
  );
}

/** Checks fields a caller passes in, before anything is encrypted. */
export function validateFields(fields: RecordFields): RecordFields {
  if (!isFields(fields)) {
    throw new VaultError('a record needs a string title and narrative; occurredAt, place and language are strings; tags a list of strings');
  }
  try {
    return JSON.parse(JSON.stringify(fields)) as RecordFields;
  } catch {
    throw new VaultError('record fields must be JSON-serialisable');
  }
}
