import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../../observability/metrics.js';

/** The wire formats metrics arrive in, as agenthub_ingest_requests_total{format} names them. */
export type IngestFormat = 'json' | 'line_protocol' | 'otlp' | 'remote_write';

/** An onResponse hook counting every answer of an ingest route by format and HTTP status. */
export function countIngestRequests(metrics: Metrics, format: IngestFormat) {
  return (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    metrics.ingestRequests.inc({ format, status: String(reply.statusCode) });
    done();
  };
}
