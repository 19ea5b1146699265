import { z } from 'zod';

/** Full-text search over messages (docs/COORDINATION.md#search). */
export const searchEnv = {
  SEARCH_RANK_WINDOW: z.coerce
    .number()
    .int()
    .min(10)
    .max(100_000)
    .default(5_000)
    .describe(
      'Most matches one search ranks: its newest matches (older ones are reached with `to`). Bounds the time of a ' +
        'common word over every room (a server admin).',
    ),
};
