import { z } from 'zod';
import { agentOf, userOf } from '../../identity/http/request-actor.js';
import { gunzipBody } from '../../http/gzip-body.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors, idParams, timeParam } from '../../http/schemas.js';
import { notFound } from '../../lib/errors.js';

export const metricsRoutes: RouteModule = (app, ctx) => {
  const { metrics } = ctx.services;
  const config = ctx.config;

  // Only the envelope here; the metrics objects are checked by a fast hand-written walker in the service.
  const ingestBody = z
    .object({
      server_id: z.string().min(1).max(255),
      timestamp: z.number().optional(),
      metrics: z.unknown().optional(),
      samples: z
        .array(z.object({ timestamp: z.number(), metrics: z.unknown() }))
        .min(1)
        .max(config.INGEST_MAX_SAMPLES)
        .optional(),
    })
    .refine(
      (b) => (b.samples === undefined) !== (b.timestamp === undefined && b.metrics === undefined),
      'send either timestamp + metrics or samples',
    );

  const ingestSchema = {
    tags: ['metrics'],
    summary: 'Submit metric snapshots (2xx means committed)',
    body: ingestBody,
    response: {
      200: z.object({ status: z.literal('success'), message: z.string(), accepted: z.number() }),
      ...errors(400, 401, 403, 413, 429, 503),
    },
  };
  for (const url of ['/api/v1/metrics', '/metrics']) {
    app.post(
      url,
      {
        // Agents are programs, not pages: ingestion grants no cross-origin reads, and the busiest route does
        // not work CORS out for every sample (docs/BENCHMARKS.md). It takes only a bearer JWT, never cookies,
        // so the wildcard preflight route answering for it lends a page no ambient credential.
        config: { auth: ['agent'], cors: false },
        bodyLimit: config.INGEST_BODY_LIMIT_BYTES,
        preParsing: gunzipBody,
        schema: ingestSchema,
      },
      async (request) => {
        const { accepted } = await metrics.ingest(agentOf(request), request.body);
        return { status: 'success' as const, message: 'Metrics received', accepted };
      },
    );
  }

  app.get(
    '/api/v1/metrics/:server_id',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['metrics'],
        summary: 'Latest snapshots of one of your agents, newest first',
        params: z.object({ server_id: z.string().min(1).max(255) }),
        querystring: z.object({
          from: timeParam.optional(),
          to: timeParam.optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
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
        },
      },
    },
    async (request) => {
      const rows = await metrics.latest(userOf(request), request.params.server_id, request.query);
      if (!rows) throw notFound('No agent with that server_id.');
      return {
        metrics: rows.map((r) => ({
          timestamp: r.ts.toISOString(),
          received_at: r.receivedAt.toISOString(),
          agent_id: r.agentId,
          metrics_data: r.data,
        })),
      };
    },
  );

  app.get(
    '/api/v1/agents/:id/metrics/series',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['metrics'],
        summary: 'A numeric metric path downsampled into time buckets',
        params: idParams,
        querystring: z.object({
          path: z
            .string()
            .regex(/^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,7}$/, 'a dotted path such as cpu.usage'),
          from: timeParam.optional(),
          to: timeParam.optional(),
          step: z.coerce.number().int().min(1).max(86_400).default(60),
        }),
        response: {
          200: z.object({
            path: z.string(),
            step: z.number(),
            points: z.array(
              z.object({ t: z.string(), avg: z.number(), min: z.number(), max: z.number(), count: z.number() }),
            ),
          }),
          ...errors(400, 401, 404),
        },
      },
    },
    async (request) => {
      const result = await metrics.series(userOf(request), request.params.id, request.query);
      return { ...result, points: result.points.map((p) => ({ ...p, t: p.t.toISOString() })) };
    },
  );
};
