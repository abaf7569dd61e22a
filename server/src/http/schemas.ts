import { Type, type TSchema } from 'typebox';
import { HANDLE_PATTERN, KDF_ALGORITHM } from '../../../client-lib/src/protocol/limits.ts';
import { ERR } from '../errors.ts';

// Schemas shared by several routes. Bytes travel as base64url without padding.

const B64_PATTERN = '^[A-Za-z0-9_-]*$';

/** base64url text of exactly `bytes` bytes. */
export function Bytes(bytes: number, description?: string) {
  const length = Math.ceil((bytes * 4) / 3);
  return Type.String({ pattern: B64_PATTERN, minLength: length, maxLength: length, ...(description ? { description } : {}) });
}

/** base64url text of at most `maxBytes` bytes. */
export function BytesUpTo(maxBytes: number, description?: string) {
  return Type.String({ pattern: B64_PATTERN, maxLength: Math.ceil((maxBytes * 4) / 3), ...(description ? { description } : {}) });
}

/** Decodes base64url, refusing non-canonical text (stray bits) and wrong sizes. */
export function decodeBytes(name: string, text: string, exact?: number): Buffer {
  const buf = Buffer.from(text, 'base64url');
  if (buf.toString('base64url') !== text || (exact !== undefined && buf.length !== exact)) throw new ERR.BAD_ENCODING(name);
  return buf;
}

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export const Handle = Type.String({ pattern: HANDLE_PATTERN, description: 'lower-case handle' });
export const Uuid = Type.String({ format: 'uuid', pattern: '^[0-9a-f-]{36}$', description: 'lower-case UUID' });
export const Timestamp = Type.String({ format: 'date-time' });

export const Kdf = Type.Object(
  {
    algorithm: Type.Literal(KDF_ALGORITHM),
    salt: Bytes(16),
    opsLimit: Type.Integer({ minimum: 1, maximum: 20 }),
    memLimit: Type.Integer({ minimum: 8192, maximum: 2147483647 }),
  },
  { additionalProperties: false },
);

export const Identity = Type.Object({
  handle: Handle,
  signPublicKey: Bytes(32),
  boxPublicKey: Bytes(32),
  signature: Bytes(64),
});

export const ErrorResponse = Type.Object(
  { statusCode: Type.Integer(), code: Type.String(), message: Type.String() },
  { $id: 'ErrorResponse' },
);

/** Response schemas for the error statuses a route can produce. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of [400, ...statuses]) out[s] = Type.Ref('ErrorResponse');
  return out;
}

/** A strict object: unknown fields are an error, not silently dropped. */
export function Strict<T extends Parameters<typeof Type.Object>[0]>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}
