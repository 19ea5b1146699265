import { z } from 'zod';
import { bool, csv } from './env-types.js';

/** The process: where it listens, how it logs, HTTP limits and timeouts, who may call it from a browser. */
export const serverEnv = {
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
  TRUST_PROXY: bool.default(false).describe('Trust X-Forwarded-* headers (set when behind a reverse proxy).'),
  ALLOWED_ORIGINS: csv
    .default([])
    .describe('Comma-separated origins allowed by CORS and the same-origin check (PUBLIC_URL is always allowed).'),
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
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('Grace period for in-flight work on SIGTERM/SIGINT.'),
  METRICS_TOKEN: z
    .string()
    .min(16)
    .optional()
    .describe('When set, GET /metrics requires Authorization: Bearer <METRICS_TOKEN>.'),
};
