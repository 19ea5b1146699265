import { z } from 'zod';
import { duration } from './env-types.js';

/** Agents: when one counts as offline and how many each plan may link. */
export const agentsEnv = {
  AGENT_OFFLINE_AFTER: duration
    .default(3600)
    .describe('An agent not seen for this long is shown offline (never deactivated).'),
  PLAN_LIMIT_FREE: z.coerce.number().int().min(0).default(3).describe('Active agents allowed on the free plan.'),
  PLAN_LIMIT_PRO: z.coerce.number().int().min(0).default(25).describe('Active agents allowed on the pro plan.'),
  PLAN_LIMIT_ENTERPRISE: z.coerce
    .number()
    .int()
    .min(0)
    .default(1000)
    .describe('Active agents allowed on the enterprise plan.'),
};
