import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './env-types.js';

const MIN_SECRET_LENGTH = 32;

/**
 * A signing secret: the one given (at least 32 characters), required in production; in development one
 * is generated once and kept in DATA_DIR so tokens survive restarts.
 */
export function resolveSecret(
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
