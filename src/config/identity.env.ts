import { z } from 'zod';
import { duration } from './env-types.js';

/** Identity: signing secrets, token lifetimes and the device flow. */
export const identityEnv = {
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
  REFRESH_TOKEN_TTL: duration.default(2_592_000).describe('Sliding lifetime of rotating refresh tokens (default 30d).'),
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
};
