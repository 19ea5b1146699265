import { resolve } from 'node:path';
import { z } from 'zod';
import { agentsEnv } from './config/agents.env.js';
import { alertsEnv } from './config/alerts.env.js';
import { databaseEnv } from './config/database.env.js';
import { resolveDatabaseUrl } from './config/database-url.js';
import { ConfigError } from './config/env-types.js';
import { identityEnv } from './config/identity.env.js';
import { metricsEnv } from './config/metrics.env.js';
import { rateLimitsEnv } from './config/rate-limits.env.js';
import { roomsEnv } from './config/rooms.env.js';
import { scaleEnv } from './config/scale.env.js';
import { searchEnv } from './config/search.env.js';
import { resolveSecret } from './config/secrets.js';
import { serverEnv } from './config/server.env.js';
import { wakeEnv } from './config/wake.env.js';

export { ConfigError, parseDurationSeconds } from './config/env-types.js';

/**
 * Every environment variable AgentHub reads, one file per concern in src/config/. Each entry's
 * description is the one line shown in `.env.example` and the README's configuration table.
 */
export const envSchema = z.object({
  ...serverEnv,
  ...databaseEnv,
  ...identityEnv,
  ...rateLimitsEnv,
  ...agentsEnv,
  ...metricsEnv,
  ...roomsEnv,
  ...scaleEnv,
  ...searchEnv,
  ...alertsEnv,
  ...wakeEnv,
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

/** Builds a config for tests and tools without touching the environment or disk. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  // Tests drive alert evaluation, wake scans and deliveries by hand (services.alerting, services.wake), not on timers.
  const env = envSchema.parse({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ALERTS_ENABLED: 'false',
    WAKE_ENABLED: 'false',
  });
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
