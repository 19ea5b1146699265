import { z } from 'zod';
import { bool } from './env-types.js';

/** The database: Postgres when a URL or host is given, else embedded PGlite in DATA_DIR. */
export const databaseEnv = {
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
  DB_READY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(50)
    .default(2000)
    .describe('Timeout of the /readyz database round-trip.'),
};
