import type { FastifyRequest } from 'fastify';
import type { AppInstance } from '../../../http/route-module.js';
import { unauthorized } from '../../../lib/errors.js';
import type { Actor } from '../../../identity/actor.model.js';
import { FormatError, mergeByTimestamp, type IngestSample } from '../formats/ingest-sample.js';
import { isInstanceOf } from '../formats/prometheus.mapping.js';
import { formatRefused, hostMismatch } from '../metrics.errors.js';
import type { MetricsService } from '../metrics.service.js';

/**
 * What the three stock-agent routes share. Each keeps the guarantees of POST /api/v1/metrics: the agent's own
 * server_id, the service's window and shape checks, the group commit before the 2xx, 503 + Retry-After when the
 * database is away (docs/INGEST.md).
 */
export const stockAgentRoute = (bodyLimit: number) => ({
  // Agents are programs, not pages (see the JSON route); these take credentials in headers only.
  config: { auth: ['agent', 'api-token'] as ('agent' | 'api-token')[], cors: false as const },
  bodyLimit,
});

/** The snapshots, merged per instant, stored for the calling agent. */
export function ingestFor(metrics: MetricsService, actor: Actor, samples: IngestSample[]) {
  if (actor.kind === 'user') throw unauthorized('This endpoint is for agents.');
  return metrics.ingestSamples(actor, mergeByTimestamp(samples));
}

/** The routes of `scope` read their bodies as bytes, whatever the content type (Telegraf sends text/plain). */
export function rawBodies(scope: AppInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

export function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

export function mediaType(request: FastifyRequest): string {
  const [type = ''] = (request.headers['content-type'] ?? '').split(';');
  return type.trim().toLowerCase();
}

/** A parser's FormatError becomes a 4xx the route renders in its own shape; anything else is a real failure. */
export function parsing<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    throw formatRefused(error.status, error.message, error.line);
  }
}

function serverIdOf(actor: Actor): string | null {
  return actor.kind === 'user' ? null : actor.agent.serverId;
}

/** A host named in the data must be the agent's own server_id (403, as the JSON route's server_id_mismatch). */
export function ensureHost(actor: Actor, host: string, where: string): void {
  const expected = serverIdOf(actor);
  if (host !== expected) throw hostMismatch(expected, host, where);
}

/** Prometheus names a scraped machine `host:port`: the host part must be the agent's server_id. */
export function ensureInstance(actor: Actor, instance: string): void {
  const expected = serverIdOf(actor);
  if (expected !== null && isInstanceOf(instance, expected)) return;
  throw hostMismatch(expected, instance, 'instance label');
}
