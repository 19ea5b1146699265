import { z } from 'zod';
import type { RouteModule } from '../../http/route-module.js';
import { assertMetricsAccess } from '../../http/prometheus.js';
import { probeRateLimit } from '../../http/rate-limit.js';
import { checkDatabase } from './health.service.js';

const started = performance.now();

export const healthRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/healthz',
    {
      config: { auth: ['anon'], rateLimit: probeRateLimit(ctx.config) },
      schema: {
        tags: ['health'],
        summary: 'Liveness',
        response: { 200: z.object({ status: z.literal('ok'), uptime: z.number() }) },
      },
    },
    () => ({ status: 'ok' as const, uptime: Math.round((performance.now() - started) / 1000) }),
  );

  // Redis is reported but does not make an instance unready: without it, HTTP and local sockets still work.
  const readiness = z.object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.object({ db: z.enum(['ok', 'error']), redis: z.enum(['ok', 'error']).optional() }),
  });
  app.get(
    '/readyz',
    {
      config: { auth: ['anon'], rateLimit: probeRateLimit(ctx.config) },
      schema: {
        tags: ['health'],
        summary: 'Readiness (database round-trip)',
        response: { 200: readiness, 503: readiness },
      },
    },
    async (_request, reply) => {
      const [db, redis] = await Promise.all([checkDatabase(ctx), ctx.redis?.ping()]);
      const checks = { db, ...(redis === undefined ? {} : { redis: redis ? ('ok' as const) : ('error' as const) }) };
      if (db === 'ok') return { status: 'ready' as const, checks };
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ status: 'unavailable' as const, checks });
    },
  );

  app.get(
    '/metrics',
    {
      config: { auth: ['anon'], rateLimit: probeRateLimit(ctx.config) },
      schema: { tags: ['health'], summary: 'Prometheus exposition', hide: false },
    },
    async (request, reply) => {
      assertMetricsAccess(ctx, request.headers.authorization);
      // Readiness as a series, so alerts see it without a separate probe.
      ctx.metrics.ready.set((await checkDatabase(ctx)) === 'ok' ? 1 : 0);
      const body = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(body);
    },
  );
};
