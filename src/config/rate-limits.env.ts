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
};
