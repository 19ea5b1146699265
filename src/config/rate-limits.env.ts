import { z } from 'zod';

/** Request budgets per IP and per credential. */
export const rateLimitsEnv = {
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
  AUTH_FAILURES_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .default(100)
    .describe(
      'Refused credentials (made-up or wrong bearer tokens, API tokens and session cookies; not expired or revoked access tokens) per minute per client address (IPv6: per /64); past it, requests from that address carrying a credential answer 429 with Retry-After until the minute ends.',
    ),
};
