import { z } from 'zod';
import { duration } from './env-types.js';

/** Several instances: Redis for broadcasts, presence, rate limits and the job lock. */
export const scaleEnv = {
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
};
