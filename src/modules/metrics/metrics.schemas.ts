import { z } from 'zod';
import { errors, idParams, timeParam } from '../../http/schemas.js';

/**
 * POST /api/v1/metrics: only the envelope is checked here; the metrics objects are checked by a fast
 * hand-written walker in the service (metrics-shape.ts).
 */
export function ingestBody(maxSamples: number) {
  return z
    .object({
      server_id: z.string().min(1).max(255),
      timestamp: z.number().optional(),
      metrics: z.unknown().optional(),
      samples: z
        .array(z.object({ timestamp: z.number(), metrics: z.unknown() }))
        .min(1)
        .max(maxSamples)
        .optional(),
    })
    .refine(
      (b) => (b.samples === undefined) !== (b.timestamp === undefined && b.metrics === undefined),
      'send either timestamp + metrics or samples',
    );
}

export const ingestResponse = {
  200: z.object({ status: z.literal('success'), message: z.string(), accepted: z.number() }),
  ...errors(400, 401, 403, 413, 429, 503),
};

export const latestParams = z.object({ server_id: z.string().min(1).max(255) });
export const latestQuery = z.object({
  from: timeParam.optional(),
  to: timeParam.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const latestResponse = {
  200: z.object({
    metrics: z.array(
      z.object({
        timestamp: z.string(),
        received_at: z.string(),
        agent_id: z.string(),
        metrics_data: z.record(z.string(), z.unknown()),
      }),
    ),
  }),
  ...errors(400, 401, 404),
};

/** A dotted path into a snapshot, as charts and the series endpoint take it. */
export const metricPath = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,7}$/, 'a dotted path such as cpu.usage');

export const seriesParams = idParams;
export const seriesQuery = z.object({
  path: metricPath,
  from: timeParam.optional(),
  to: timeParam.optional(),
  step: z.coerce.number().int().min(1).max(86_400).default(60),
});
export const seriesResponse = {
  200: z.object({
    path: z.string(),
    step: z.number(),
    points: z.array(z.object({ t: z.string(), avg: z.number(), min: z.number(), max: z.number(), count: z.number() })),
  }),
  ...errors(400, 401, 404),
};
