import { z } from 'zod';
import { bool, duration } from './env-types.js';

/** Wake hooks: when an addressed agent without a live socket is called, and how (docs/COORDINATION.md). */
export const wakeEnv = {
  WAKE_ENABLED: bool
    .default(true)
    .describe('Scan for addressed messages nobody received and call wake hooks in this process.'),
  WAKE_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(2_000)
    .describe('How long a message addressed to an agent waits for a live socket to receive it before it wakes it.'),
  WAKE_COALESCE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600)
    .default(30)
    .describe('Default coalescing window of a wake hook: at most one wake call per agent per window.'),
  WAKE_DELIVERY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(5_000)
    .describe('A wake call that takes longer than this fails and is retried.'),
  WAKE_DELIVERY_GIVE_UP: duration
    .refine((seconds) => seconds >= 1, 'at least 1s')
    .default(3_600)
    .describe('A wake call still undelivered this long after it was queued is given up and recorded failed.'),
  WAKE_HOOK_ALLOW_PRIVATE: bool
    .optional()
    .describe(
      'Allow wake hooks on loopback, link-local and private addresses; unset follows ALERT_WEBHOOK_ALLOW_PRIVATE.',
    ),
};
