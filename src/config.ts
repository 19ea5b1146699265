import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)?$/, 'expected a duration such as 90s, 15m, 1h or a number of seconds')
  .transform(parseDurationSeconds);

const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/**
 * Every environment variable AgentHub reads. Each entry's description is the
 * one line shown in `.env.example` and the README's configuration table.
 */
export const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe('Runtime mode; production makes weak or missing secrets fatal.'),
  HOST: z.string().min(1).default('0.0.0.0').describe('Interface the HTTP server binds to.'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('TCP port of the HTTP server.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Minimum pino log level.'),
  PUBLIC_URL: z
    .url()
    .optional()
    .describe('External base URL (used in links); https makes cookies Secure and __Host- prefixed.'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('Postgres connection URL; unset means embedded PGlite in DATA_DIR.'),
  POSTGRES_HOST: z
    .string()
    .optional()
    .describe('Alternative to DATABASE_URL: setting it selects the POSTGRES_* variables.'),
  POSTGRES_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(5432)
    .describe('Postgres port (with POSTGRES_HOST).'),
  POSTGRES_USER: z.string().default('agenthub').describe('Postgres user (with POSTGRES_HOST).'),
  POSTGRES_PASSWORD: z.string().default('').describe('Postgres password (with POSTGRES_HOST).'),
  POSTGRES_DB: z.string().default('agenthub').describe('Postgres database (with POSTGRES_HOST).'),
  DATABASE_POOL_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(20)
    .describe('Maximum connections in the Postgres pool.'),
  DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe('Directory for the embedded database and generated development secrets.'),
  MIGRATE_ON_START: bool.default(true).describe('Apply pending migrations when the server starts.'),
  JWT_SECRET: z
    .string()
    .optional()
    .describe('HS256 key for access tokens (>= 32 chars); generated into DATA_DIR in development.'),
  JWT_PREVIOUS_SECRET: z
    .string()
    .optional()
    .describe('Previous JWT key still accepted for verification during a rotation.'),
  COOKIE_SECRET: z
    .string()
    .optional()
    .describe('Pepper for HMAC-hashed tokens and cookie signing (>= 32 chars); generated in development.'),
  COOKIE_PREVIOUS_SECRET: z.string().optional().describe('Previous pepper still accepted during a rotation.'),
  JWT_ISSUER: z.string().default('agenthub').describe('iss claim of access tokens.'),
  JWT_AUDIENCE: z.string().default('agenthub-api').describe('aud claim of access tokens.'),
  ACCESS_TOKEN_TTL: duration.default(900).describe('Lifetime of access JWTs (default 15m).'),
  ALLOWED_ORIGINS: csv
    .default([])
    .describe('Comma-separated origins allowed by CORS and the same-origin check (PUBLIC_URL is always allowed).'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional()
    .describe('Redis for scale-out (socket.io adapter, presence, rate limits); unset keeps everything in process.'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w.-]{1,64}$/, 'letters, digits, dot, dash or underscore')
    .default('agenthub')
    .describe('Prefix of every Redis key and channel, so several deployments can share one Redis.'),
  PRESENCE_TTL: duration
    .refine((seconds) => seconds >= 1, 'at least 1s')
    .default(30)
    .describe(
      "With Redis, how long a dead instance's agents stay in presence (entries are refreshed at a third of it).",
    ),
  SOCKET_TRANSPORTS: csv
    .pipe(z.array(z.enum(['websocket', 'polling'])).min(1))
    .default(['websocket', 'polling'])
    .describe('socket.io transports accepted; `websocket` alone needs no sticky sessions behind a load balancer.'),
  METRICS_TOKEN: z
    .string()
    .min(16)
    .optional()
    .describe('When set, GET /metrics requires Authorization: Bearer <METRICS_TOKEN>.'),
  METRICS_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(30)
    .describe('Days of metrics kept before their partitions are dropped.'),
  AGENT_OFFLINE_AFTER: duration
    .default(3600)
    .describe('An agent not seen for this long is shown offline (never deactivated).'),
  FEATURE_MESSAGING_ENABLED: bool.default(true).describe('Enable rooms and the socket.io /agents namespace.'),
  DEVICE_CODE_TTL: duration
    .default(900)
    .describe('Lifetime of a device-link request (RFC 8628 expires_in, default 15m).'),
  DEVICE_POLL_INTERVAL: z.coerce
    .number()
    .int()
    .min(1)
    .max(60)
    .default(5)
    .describe('Seconds agents wait between polls (slow_down adds 5).'),
  REFRESH_TOKEN_TTL: duration.default(2_592_000).describe('Sliding lifetime of rotating refresh tokens (default 30d).'),
  PLAN_LIMIT_FREE: z.coerce.number().int().min(0).default(3).describe('Active agents allowed on the free plan.'),
  PLAN_LIMIT_PRO: z.coerce.number().int().min(0).default(25).describe('Active agents allowed on the pro plan.'),
  PLAN_LIMIT_ENTERPRISE: z.coerce
    .number()
    .int()
    .min(0)
    .default(1000)
    .describe('Active agents allowed on the enterprise plan.'),
  INGEST_MAX_SAMPLES: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .describe('Most samples one metrics request may carry.'),
  INGEST_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4_194_304)
    .describe('Largest metrics request body, after gzip decompression (413 beyond).'),
  INGEST_WINDOW_BACK: duration
    .default(604_800)
    .describe('Oldest accepted sample timestamp, relative to now (default 7d, so spooled backlogs replay).'),
  INGEST_WINDOW_AHEAD: duration
    .default(300)
    .describe('Newest accepted sample timestamp, relative to now (default 5m of clock skew).'),
  INGEST_MAX_QUEUED_ROWS: z.coerce
    .number()
    .int()
    .min(1)
    .default(50_000)
    .describe('Rows waiting for a group commit before ingestion answers 503.'),
  INGEST_MAX_BATCH_ROWS: z.coerce
    .number()
    .int()
    .min(1)
    .default(1000)
    .describe('Most rows one group-commit flush inserts.'),
  INGEST_FLUSH_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(16)
    .default(2)
    .describe('Most group-commit flushes in flight; beyond the first, only for a full batch (PGlite: 1).'),
  INGEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('A metrics request waiting longer than this for its commit answers 503.'),
  MESSAGE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_048_576)
    .default(16_384)
    .describe('Largest room message body, in UTF-8 bytes.'),
  ROOM_REPLAY_LIMIT: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(500)
    .describe('Most missed messages room:join replays; beyond it the client pages history over REST.'),
  SOCKET_EVENTS_PER_SECOND: z.coerce
    .number()
    .int()
    .min(1)
    .default(30)
    .describe('Token-bucket rate of events one socket may send.'),
  RATE_LIMIT_ANON: z.coerce
    .number()
    .int()
    .min(1)
    .default(100)
    .describe('Requests per minute per IP without credentials.'),
  RATE_LIMIT_AUTHENTICATED: z.coerce.number().int().min(1).default(600).describe('Requests per minute per credential.'),
  RATE_LIMIT_PROBES: z.coerce
    .number()
    .int()
    .min(1)
    .default(600)
    .describe(
      'Requests per minute per IP to /healthz, /readyz and GET /metrics, counted apart from the anonymous budget.',
    ),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1_048_576)
    .describe('Maximum request body size in bytes (413 beyond).'),
  LINGER_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(16_777_216)
    .describe('After answering before a body has all arrived (413, 401), read and discard up to this much more of it.'),
  LINGER_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5000)
    .describe('Longest time spent discarding such a body (LINGER_MAX_BYTES) before the connection closes.'),
  REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(30_000)
    .describe('A request whose headers and body have not all arrived within this answers 408 and is closed.'),
  HEADERS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .optional()
    .describe('Time to receive the request headers (408 beyond); unset means REQUEST_TIMEOUT_MS, never more.'),
  KEEP_ALIVE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(72_000)
    .describe(
      'An idle keep-alive connection is closed after this; keep it above the idle timeout of a proxy in front.',
    ),
  TRUST_PROXY: bool.default(false).describe('Trust X-Forwarded-* headers (set when behind a reverse proxy).'),
  DB_READY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(50)
    .default(2000)
    .describe('Timeout of the /readyz database round-trip.'),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('Grace period for in-flight work on SIGTERM/SIGINT.'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** Resolved Postgres URL, or undefined for embedded PGlite. */
  databaseUrl: string | undefined;
  dataDir: string;
  jwtSecret: string;
  cookieSecret: string;
  publicUrl: string;
  secureCookies: boolean;
  /** Notes for the startup log (e.g. "generated a development secret"). */
  notes: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseDurationSeconds(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (!match) throw new ConfigError(`invalid duration: ${value}`);
  const n = Number(match[1]);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? 's'] ?? 1;
  return n * factor;
}

const MIN_SECRET_LENGTH = 32;

/** Parses and validates the environment; throws ConfigError naming the variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, overrides: Partial<Env> = {}): Config {
  const raw = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env: Env = { ...parsed.data, ...overrides };
  if (env.HEADERS_TIMEOUT_MS !== undefined && env.HEADERS_TIMEOUT_MS > env.REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      `Invalid configuration:\n  HEADERS_TIMEOUT_MS: must be at most REQUEST_TIMEOUT_MS (${env.REQUEST_TIMEOUT_MS})`,
    );
  }
  const dataDir = resolve(env.DATA_DIR);
  const notes: string[] = [];
  const production = env.NODE_ENV === 'production';

  const jwtSecret = resolveSecret('JWT_SECRET', env.JWT_SECRET, dataDir, production, notes);
  const cookieSecret = resolveSecret('COOKIE_SECRET', env.COOKIE_SECRET, dataDir, production, notes);
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');

  return {
    ...env,
    databaseUrl: resolveDatabaseUrl(env),
    dataDir,
    jwtSecret,
    cookieSecret,
    publicUrl,
    secureCookies: publicUrl.startsWith('https://'),
    notes,
  };
}

function resolveDatabaseUrl(env: Env): string | undefined {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (!env.POSTGRES_HOST) return undefined;
  const user = encodeURIComponent(env.POSTGRES_USER);
  const password = env.POSTGRES_PASSWORD ? `:${encodeURIComponent(env.POSTGRES_PASSWORD)}` : '';
  return `postgres://${user}${password}@${env.POSTGRES_HOST}:${env.POSTGRES_PORT}/${encodeURIComponent(env.POSTGRES_DB)}`;
}

function resolveSecret(
  name: string,
  value: string | undefined,
  dataDir: string,
  production: boolean,
  notes: string[],
): string {
  if (value !== undefined) {
    if (value.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(`Invalid configuration:\n  ${name}: must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    return value;
  }
  if (production) {
    throw new ConfigError(
      `Invalid configuration:\n  ${name}: required when NODE_ENV=production (at least ${MIN_SECRET_LENGTH} characters)`,
    );
  }
  // Development: keep a generated secret in DATA_DIR so tokens survive restarts.
  const file = join(dataDir, `.${name.toLowerCase()}`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  chmodSync(file, 0o600);
  notes.push(`${name} is not set: generated one and stored it in ${file} (set ${name} in production)`);
  return secret;
}

/** Builds a config for tests and tools without touching the environment or disk. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const env = envSchema.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  return {
    ...env,
    databaseUrl: undefined,
    dataDir: resolve('./data-test'),
    jwtSecret: 'test-jwt-secret-0123456789abcdefghijklmnop',
    cookieSecret: 'test-cookie-secret-0123456789abcdefghijklmn',
    publicUrl: 'http://localhost:3000',
    secureCookies: false,
    notes: [],
    ...overrides,
  };
}
