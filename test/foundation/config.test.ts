import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDurationSeconds } from '../../src/config.js';
import { makeTempDir } from '../harness/temp-dir.js';

const JWT_SECRET = 'j'.repeat(40);
const COOKIE_SECRET = 'c'.repeat(40);

describe('loadConfig', () => {
  let dir: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    dir = makeTempDir('config');
  });
  afterEach(() => dir.remove());

  /** An environment that never touches ./data: a temp DATA_DIR and real-length secrets. */
  const env = (extra: Record<string, string> = {}) => ({ DATA_DIR: dir.path, JWT_SECRET, COOKIE_SECRET, ...extra });

  function configError(source: Record<string, string>): string {
    try {
      loadConfig(source);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected loadConfig to throw');
  }

  it('applies the documented defaults when only the secrets are set', () => {
    const config = loadConfig(env());
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: 3000,
      MIGRATE_ON_START: true,
      ACCESS_TOKEN_TTL: 900,
      databaseUrl: undefined,
      dataDir: dir.path,
      publicUrl: 'http://localhost:3000',
      secureCookies: false,
      notes: [],
    });
  });

  it('rejects a non-numeric PORT with a message naming PORT', () => {
    expect(configError(env({ PORT: 'abc' }))).toMatch(/^\s*PORT: /m);
  });

  it('rejects a DATABASE_URL that is not a postgres URL with a message naming DATABASE_URL', () => {
    expect(configError(env({ DATABASE_URL: 'mysql://x' }))).toMatch(/^\s*DATABASE_URL: must be a postgres:\/\/ URL/m);
  });

  it('names every invalid variable at once', () => {
    const message = configError(env({ PORT: '70000', LOG_LEVEL: 'loud', REDIS_URL: 'http://cache' }));
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/LOG_LEVEL/);
    expect(message).toMatch(/REDIS_URL/);
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig(env({ PORT: '', DATABASE_URL: '', PUBLIC_URL: '' }));
    expect(config.PORT).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
  });

  it('refuses a HEADERS_TIMEOUT_MS above REQUEST_TIMEOUT_MS (Node would refuse to create the server)', () => {
    expect(configError(env({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '10000' }))).toMatch(
      /^\s*HEADERS_TIMEOUT_MS: must be at most REQUEST_TIMEOUT_MS/m,
    );
    const config = loadConfig(env({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '5000' }));
    expect(config).toMatchObject({ REQUEST_TIMEOUT_MS: 5000, HEADERS_TIMEOUT_MS: 5000, KEEP_ALIVE_TIMEOUT_MS: 72_000 });
  });

  it('refuses to start in production without JWT_SECRET', () => {
    const { JWT_SECRET: _omitted, ...rest } = env({ NODE_ENV: 'production' });
    expect(configError(rest)).toMatch(/JWT_SECRET: required when NODE_ENV=production/);
  });

  it('refuses to start in production without COOKIE_SECRET', () => {
    const { COOKIE_SECRET: _omitted, ...rest } = env({ NODE_ENV: 'production' });
    expect(configError(rest)).toMatch(/COOKIE_SECRET: required when NODE_ENV=production/);
  });

  it('refuses secrets shorter than 32 characters in production', () => {
    expect(configError(env({ NODE_ENV: 'production', JWT_SECRET: 'short' }))).toMatch(
      /JWT_SECRET: must be at least 32 characters/,
    );
    expect(configError(env({ NODE_ENV: 'production', COOKIE_SECRET: 'x'.repeat(31) }))).toMatch(/COOKIE_SECRET/);
  });

  it('refuses short secrets in development too, rather than silently replacing them', () => {
    expect(configError(env({ JWT_SECRET: 'short' }))).toMatch(/JWT_SECRET: must be at least 32 characters/);
  });

  it('does not write generated secrets in production', () => {
    const config = loadConfig(env({ NODE_ENV: 'production' }));
    expect(config.jwtSecret).toBe(JWT_SECRET);
    expect(config.cookieSecret).toBe(COOKIE_SECRET);
    expect(() => statSync(join(dir.path, '.jwt_secret'))).toThrow();
  });

  it('generates missing development secrets into DATA_DIR with mode 0600 and reads them back', () => {
    const first = loadConfig({ DATA_DIR: dir.path });
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.cookieSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.jwtSecret).not.toBe(first.cookieSecret);
    expect(first.notes).toHaveLength(2);
    expect(first.notes.join('\n')).toMatch(/JWT_SECRET is not set/);

    for (const [file, value] of [
      ['.jwt_secret', first.jwtSecret],
      ['.cookie_secret', first.cookieSecret],
    ] as const) {
      const path = join(dir.path, file);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8')).toBe(value);
    }

    const second = loadConfig({ DATA_DIR: dir.path });
    expect(second.jwtSecret).toBe(first.jwtSecret);
    expect(second.cookieSecret).toBe(first.cookieSecret);
    expect(second.notes).toEqual([]);
  });

  it('creates a missing DATA_DIR when it generates secrets', () => {
    const nested = join(dir.path, 'a', 'b');
    const config = loadConfig({ DATA_DIR: nested });
    expect(config.dataDir).toBe(nested);
    expect(readFileSync(join(nested, '.jwt_secret'), 'utf8')).toBe(config.jwtSecret);
  });

  it('builds the database URL from the POSTGRES_* variables when POSTGRES_HOST is set', () => {
    const config = loadConfig(
      env({
        POSTGRES_HOST: 'db.internal',
        POSTGRES_PORT: '6543',
        POSTGRES_USER: 'hub',
        POSTGRES_PASSWORD: 'p@ss word/',
        POSTGRES_DB: 'hub_db',
      }),
    );
    expect(config.databaseUrl).toBe('postgres://hub:p%40ss%20word%2F@db.internal:6543/hub_db');
    expect(new URL(config.databaseUrl!).password).toBe('p%40ss%20word%2F');
  });

  it('uses the POSTGRES_* defaults and no password when only POSTGRES_HOST is set', () => {
    expect(loadConfig(env({ POSTGRES_HOST: 'postgres' })).databaseUrl).toBe(
      'postgres://agenthub@postgres:5432/agenthub',
    );
  });

  it('prefers DATABASE_URL over the POSTGRES_* variables', () => {
    const config = loadConfig(env({ DATABASE_URL: 'postgresql://a@b/c', POSTGRES_HOST: 'ignored' }));
    expect(config.databaseUrl).toBe('postgresql://a@b/c');
  });

  it('ignores the POSTGRES_* variables when POSTGRES_HOST is unset', () => {
    expect(loadConfig(env({ POSTGRES_USER: 'hub', POSTGRES_DB: 'hub' })).databaseUrl).toBeUndefined();
  });

  it('parses durations with units into seconds', () => {
    expect(loadConfig(env({ ACCESS_TOKEN_TTL: '15m' })).ACCESS_TOKEN_TTL).toBe(900);
    expect(loadConfig(env({ AGENT_OFFLINE_AFTER: '1h' })).AGENT_OFFLINE_AFTER).toBe(3600);
    expect(loadConfig(env({ ACCESS_TOKEN_TTL: '90s' })).ACCESS_TOKEN_TTL).toBe(90);
    expect(loadConfig(env({ ACCESS_TOKEN_TTL: '120' })).ACCESS_TOKEN_TTL).toBe(120);
    expect(parseDurationSeconds('2d')).toBe(172_800);
    expect(parseDurationSeconds('1500ms')).toBe(1.5);
  });

  it('rejects a malformed duration with a message naming the variable', () => {
    expect(configError(env({ ACCESS_TOKEN_TTL: '15 minutes' }))).toMatch(/ACCESS_TOKEN_TTL: expected a duration/);
    expect(() => parseDurationSeconds('1w')).toThrow(ConfigError);
  });

  it('parses booleans and comma-separated lists', () => {
    const config = loadConfig(
      env({ MIGRATE_ON_START: 'false', TRUST_PROXY: 'yes', ALLOWED_ORIGINS: 'https://a.test, https://b.test,' }),
    );
    expect(config.MIGRATE_ON_START).toBe(false);
    expect(config.TRUST_PROXY).toBe(true);
    expect(config.ALLOWED_ORIGINS).toEqual(['https://a.test', 'https://b.test']);
    expect(configError(env({ MIGRATE_ON_START: 'maybe' }))).toMatch(/MIGRATE_ON_START/);
  });

  it('derives secure cookies from an https PUBLIC_URL and strips its trailing slash', () => {
    const config = loadConfig(env({ PUBLIC_URL: 'https://hub.example.com/' }));
    expect(config.publicUrl).toBe('https://hub.example.com');
    expect(config.secureCookies).toBe(true);
  });
});
