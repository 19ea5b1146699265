import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { unauthorized } from '../lib/errors.js';

/** Counts every response by route pattern (never the raw URL, which would explode cardinality). */
export function registerHttpMetrics(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route };
    ctx.metrics.httpRequests.inc({ ...labels, status_code: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}

export function metricsTokenMatches(expected: string, header: string | undefined): boolean {
  if (!header || !/^bearer /i.test(header)) return false;
  const given = Buffer.from(header.slice(7));
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export function assertMetricsAccess(ctx: AppContext, authorization: string | undefined): void {
  const token = ctx.config.METRICS_TOKEN;
  if (token && !metricsTokenMatches(token, authorization)) throw unauthorized('A valid metrics token is required.');
}
