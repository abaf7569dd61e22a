import createError from '@fastify/error';

// [Note: error codes]
// Every error the API returns is made here, with a stable code (VAULT_ERR_*) and a
// status. Clients branch on `code`, never on the message. test/errors.test.ts checks
// that every code is documented in docs/ERRORS.md.

export const ERR = {
  VALIDATION: createError('VAULT_ERR_VALIDATION', 'request is invalid: %s', 400),
  BAD_ENCODING: createError('VAULT_ERR_BAD_ENCODING', 'field %s is not valid base64url of the expected size', 400),
  BODY_TOO_LARGE: createError('VAULT_ERR_BODY_TOO_LARGE', 'request body is too large', 413),
  UNSUPPORTED_MEDIA_TYPE: createError('VAULT_ERR_UNSUPPORTED_MEDIA_TYPE', 'unsupported content type', 415),
  HEADERS_TOO_LARGE: createError('VAULT_ERR_HEADERS_TOO_LARGE', 'request headers are too large', 431),
  REQUEST_TIMEOUT: createError('VAULT_ERR_REQUEST_TIMEOUT', 'the request took too long to arrive', 408),
  EXPECTATION_FAILED: createError('VAULT_ERR_EXPECTATION_FAILED', 'only "Expect: 100-continue" is supported', 417),
  UNAUTHENTICATED: createError('VAULT_ERR_UNAUTHENTICATED', 'a valid session is required', 401),
  BAD_CREDENTIALS: createError('VAULT_ERR_BAD_CREDENTIALS', 'handle or passphrase is wrong', 401),
  FORBIDDEN: createError('VAULT_ERR_FORBIDDEN', 'not allowed', 403),
  NOT_FOUND: createError('VAULT_ERR_NOT_FOUND', 'not found', 404),
  ROUTE_NOT_FOUND: createError('VAULT_ERR_ROUTE_NOT_FOUND', 'no such route', 404),
  WEB_NOT_BUILT: createError('VAULT_ERR_WEB_NOT_BUILT', 'the web client is not built on this server; the API works', 404),
  METHOD_NOT_ALLOWED: createError('VAULT_ERR_METHOD_NOT_ALLOWED', 'method not allowed', 405),
  HANDLE_TAKEN: createError('VAULT_ERR_HANDLE_TAKEN', 'handle is already registered', 409),
  INVITE_REQUIRED: createError('VAULT_ERR_INVITE_REQUIRED', 'registration needs a valid invite code', 403),
  INVITE_INVALID: createError('VAULT_ERR_INVITE_INVALID', 'invite code is unknown, used or expired', 403),
  WEAK_KDF: createError('VAULT_ERR_WEAK_KDF', 'key derivation parameters are below the minimum', 400),
  SESSION_LABEL_INVALID: createError('VAULT_ERR_SESSION_LABEL_INVALID', 'a session label is a version-1 envelope of exactly %s bytes', 400),
  SIGNATURE_INVALID: createError('VAULT_ERR_SIGNATURE_INVALID', 'signature does not verify', 400),
  VERSION_CONFLICT: createError('VAULT_ERR_VERSION_CONFLICT', 'the version sent does not match the current version of the record', 409),
  KEY_VERSION_CONFLICT: createError('VAULT_ERR_KEY_VERSION_CONFLICT', 'key version does not match the record', 409),
  RECORD_EXISTS: createError('VAULT_ERR_RECORD_EXISTS', 'a record with this id exists', 409),
  GRANT_EXISTS: createError('VAULT_ERR_GRANT_EXISTS', 'this person already has a live grant on the record; revoke it first', 409),
  GRANTS_CHANGED: createError('VAULT_ERR_GRANTS_CHANGED', 'a new record key must be sealed to exactly the owner and every live grantee; the grants changed, read them again', 409),
  UNKNOWN_USER: createError('VAULT_ERR_UNKNOWN_USER', 'no account has this handle', 404),
  CONFLICT: createError('VAULT_ERR_CONFLICT', 'the request conflicts with data already stored', 409),
  FILE_TOO_LARGE: createError('VAULT_ERR_FILE_TOO_LARGE', 'the file is larger than this server accepts', 413),
  QUOTA_EXCEEDED: createError('VAULT_ERR_QUOTA_EXCEEDED', 'the account has no room left for this file', 413),
  UPLOAD_INCOMPLETE: createError('VAULT_ERR_UPLOAD_INCOMPLETE', 'the upload is missing parts or chunks: %s', 409),
  FILE_EXISTS: createError('VAULT_ERR_FILE_EXISTS', 'a file with this id exists', 409),
  UPLOAD_COMPLETE: createError('VAULT_ERR_UPLOAD_COMPLETE', 'the upload is complete and cannot change', 409),
  BAD_PART: createError('VAULT_ERR_BAD_PART', 'the part is not a run of whole encrypted chunks: %s', 400),
  RANGE_NOT_SATISFIABLE: createError('VAULT_ERR_RANGE', 'range must start on a chunk boundary inside the file', 416),
  RATE_LIMITED: createError('VAULT_ERR_RATE_LIMITED', 'too many requests, retry later', 429),
  NOT_READY: createError('VAULT_ERR_NOT_READY', 'service is not ready', 503),
  BUSY: createError('VAULT_ERR_BUSY', 'the server is busy checking other passphrases, retry shortly', 503),
  INTERNAL: createError('VAULT_ERR_INTERNAL', 'internal error', 500),
} as const;

/** VAULT_ERR_BUSY with the Retry-After header the error handler sends along. */
export function busy(retryAfterSeconds: number) {
  return Object.assign(new ERR.BUSY(), { headers: { 'retry-after': String(retryAfterSeconds) } });
}

export type ErrorCode = ReturnType<(typeof ERR)[keyof typeof ERR]>['code'];
