import { availableParallelism } from 'node:os';
import path from 'node:path';
import envSchema from 'env-schema';
import { Type, type Static } from 'typebox';

// The web client's build (Vite's output) in the repository: this file is two folders below
// the root both as source (server/src) and compiled (dist/server, scripts/build-server.mjs).
const DEFAULT_WEB_DIST_DIR = path.resolve(import.meta.dirname, '../../web/dist');

// Everything the server reads from its environment, validated once at boot.
// Nothing is chosen by NODE_ENV: every behaviour has its own variable.
const ConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  VAULT_DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  // The embedded database's shared buffers, in MiB ([Note: embedded database memory]).
  EMBEDDED_SHARED_BUFFERS_MIB: Type.Integer({ default: 16, minimum: 1, maximum: 4096 }),
  REGISTRATION: Type.Union([Type.Literal('open'), Type.Literal('invite')], { default: 'invite' }),
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
  SESSION_TTL_SECONDS: Type.Integer({ default: 12 * 3600, minimum: 60, maximum: 30 * 24 * 3600 }),
  INVITE_TTL_SECONDS: Type.Integer({ default: 7 * 24 * 3600, minimum: 60, maximum: 90 * 24 * 3600 }),
  AUTH_RATE_LIMIT_MAX: Type.Integer({ default: 20, minimum: 1 }),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ default: 60, minimum: 1 }),
  // Argon2 computations at once, and requests waiting for one ([Note: password work admission]).
  // One core is left for everything else.
  AUTH_ARGON2_CONCURRENCY: Type.Integer({ default: Math.max(1, availableParallelism() - 1), minimum: 1, maximum: 1024 }),
  AUTH_ARGON2_QUEUE: Type.Integer({ default: 32, minimum: 0, maximum: 100_000 }),
  AUTH_ARGON2_REFUSAL_DELAY_MS: Type.Integer({ default: 500, minimum: 0, maximum: 10_000 }),
  // The cheapest Argon2id the server accepts for a new verifier (clients have their own floor).
  KDF_MIN_OPS: Type.Integer({ default: 3, minimum: 1 }),
  KDF_MIN_MEM_BYTES: Type.Integer({ default: 256 * 1024 * 1024, minimum: 8192 }),
  RECORD_MAX_BYTES: Type.Integer({ default: 1024 * 1024, minimum: 1024, maximum: 64 * 1024 * 1024 }),
  FILE_MAX_BYTES: Type.Integer({ default: 16 * 1024 ** 3, minimum: 1024 }),
  USER_QUOTA_BYTES: Type.Integer({ default: 100 * 1024 ** 3, minimum: 1024 }),
  UPLOAD_TTL_SECONDS: Type.Integer({ default: 24 * 3600, minimum: 60 }),
  UPLOAD_CLEANUP_INTERVAL_SECONDS: Type.Integer({ default: 600, minimum: 1 }),
  DB_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 200 }),
  // How long a request waits for a database connection (a new one, or a free one from the
  // pool) before it answers 503: a database host that stops answering must not hang requests.
  DB_CONNECT_TIMEOUT_SECONDS: Type.Integer({ default: 10, minimum: 1, maximum: 300 }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  SHUTDOWN_GRACE_SECONDS: Type.Integer({ default: 10, minimum: 1, maximum: 300 }),
  AUDIT_LOG_ORIGIN: Type.String({ default: 'testimony-vault.local/audit-log', pattern: '^[^\\s+]+$' }),
  AUDIT_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  AUDIT_SIGNING_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' })),
  AUDIT_LOG_IP: Type.Boolean({ default: false }),
  // Days an event's client address (AUDIT_LOG_IP) is kept; then it is erased and the log still verifies.
  AUDIT_IP_RETENTION_DAYS: Type.Integer({ default: 30, minimum: 0, maximum: 3650 }),
  // A folder path: no NUL, which the file system would refuse only at the first request.
  WEB_DIST_DIR: Type.String({ default: DEFAULT_WEB_DIST_DIR, minLength: 1, pattern: '^[^\\u0000]+$' }),
  // PEM files: both set, the server speaks HTTPS itself, HTTP/2 with HTTP/1.1 beside it
  // ([Note: HTTP/2 served directly]); neither, plain HTTP/1.1 (behind a TLS proxy).
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\u0000]+$' })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\u0000]+$' })),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment; throws ConfigError naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const data: Record<string, string> = {};
  let config: Config;
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') data[key] = value;
  }
  try {
    // env: false: only `env` counts (env-schema would otherwise merge process.env under it).
    config = envSchema<Config>({ schema: ConfigSchema, data, dotenv: false, env: false });
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
  }
  if ((config.TLS_CERT_FILE === undefined) !== (config.TLS_KEY_FILE === undefined)) {
    throw new ConfigError('invalid configuration: TLS_CERT_FILE and TLS_KEY_FILE go together (set both for HTTPS, neither for plain HTTP)');
  }
  return config;
}

/** Defaults for everything, overridable; used by tests and tools. */
export function configWith(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), ...overrides };
}
