import { Type, type TSchema } from 'typebox';
import { HANDLE_PATTERN, KDF_ALGORITHMS } from '@testimony-vault/protocol';
import { ERR } from '../errors.ts';

// Schemas shared by several routes. Bytes travel as base64url without padding.

const B64_PATTERN = '^[A-Za-z0-9_-]*$';

/** base64url text of exactly `bytes` bytes. */
export function Bytes(bytes: number, description?: string) {
  const length = Math.ceil((bytes * 4) / 3);
  return Type.String({ pattern: B64_PATTERN, minLength: length, maxLength: length, ...(description ? { description } : {}) });
}

/** base64url text of exactly one of these byte lengths (a format with an older, shorter form). */
export function BytesOf(lengths: number[], description?: string) {
  const texts = lengths.map((n) => Math.ceil((n * 4) / 3));
  return Type.String({ pattern: B64_PATTERN, minLength: Math.min(...texts), maxLength: Math.max(...texts), ...(description ? { description } : {}) });
}

/** base64url text of at most `maxBytes` bytes. */
export function BytesUpTo(maxBytes: number, description?: string) {
  return Type.String({ pattern: B64_PATTERN, maxLength: Math.ceil((maxBytes * 4) / 3), ...(description ? { description } : {}) });
}

/** Decodes base64url, refusing non-canonical text (stray bits) and wrong sizes. */
export function decodeBytes(name: string, text: string, exact?: number | number[]): Buffer {
  const buf = Buffer.from(text, 'base64url');
  const sizes = exact === undefined ? undefined : Array.isArray(exact) ? exact : [exact];
  if (buf.toString('base64url') !== text || (sizes !== undefined && !sizes.includes(buf.length))) throw new ERR.BAD_ENCODING(name);
  return buf;
}

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export const Handle = Type.String({ pattern: HANDLE_PATTERN, description: 'lower-case handle' });
export const Uuid = Type.String({
  format: 'uuid',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'lower-case UUID',
});

// Control characters (C0, DEL, C1), line and paragraph separators and bidirectional
// overrides: none belongs in a label a person reads, and PostgreSQL refuses NUL in text.
const PLAIN_TEXT = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]*$';

/** Free text a person typed (a device label): printable characters only. */
export function PlainText(maxLength: number, description?: string) {
  return Type.String({ maxLength, pattern: PLAIN_TEXT, ...(description ? { description } : {}) });
}

/** Opaque base64url text the server made (invite codes, cursors). */
export function Token(maxLength: number) {
  return Type.String({ minLength: 1, maxLength, pattern: B64_PATTERN });
}
export const Timestamp = Type.String({ format: 'date-time' });

export const Kdf = Type.Object(
  {
    algorithm: Type.Union([Type.Literal(KDF_ALGORITHMS[0]), Type.Literal(KDF_ALGORITHMS[1])]),
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
