import { agentOf, userOf } from '../../identity/http/request-actor.js';
import { gunzipBody } from '../../http/gzip-body.js';
import type { RouteModule } from '../../http/route-module.js';
import { noAgentWithServerId } from './metrics.errors.js';
import { countIngestRequests } from './ingest-requests.js';
import {
  ingestBody,
  ingestResponse,
  latestParams,
  latestQuery,
  latestResponse,
  seriesParams,
  seriesQuery,
  seriesResponse,
} from './metrics.schemas.js';

export const metricsRoutes: RouteModule = (app, ctx) => {
  const { metrics } = ctx.services;
  const config = ctx.config;

  const ingestSchema = {
    tags: ['metrics'],
    summary: 'Submit metric snapshots (2xx means committed)',
    body: ingestBody(config.INGEST_MAX_SAMPLES),
    response: ingestResponse,
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
        onResponse: countIngestRequests(ctx.metrics, 'json'),
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
        params: latestParams,
        querystring: latestQuery,
        response: latestResponse,
      },
    },
    async (request) => {
      const rows = await metrics.latest(userOf(request), request.params.server_id, request.query);
      if (!rows) throw noAgentWithServerId();
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
        params: seriesParams,
        querystring: seriesQuery,
        response: seriesResponse,
      },
    },
    async (request) => {
      const result = await metrics.series(userOf(request), request.params.id, request.query);
      return { ...result, points: result.points.map((p) => ({ ...p, t: p.t.toISOString() })) };
    },
  );
};
