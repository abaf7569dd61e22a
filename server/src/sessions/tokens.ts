import { createHash, randomBytes } from 'node:crypto';

// Session tokens are 32 random bytes; the database keeps only their SHA-256, so a
// stolen database holds no usable token. (A fast hash is enough: the token has 256
// bits of entropy, nothing to brute-force.)

export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
