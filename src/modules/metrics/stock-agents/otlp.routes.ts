import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { setErrorRenderer, type ErrorRenderer } from '../../../http/error-handler.js';
import { gunzipBody } from '../../../http/gzip-body.js';
import type { AppInstance, RouteModule } from '../../../http/route-module.js';
import { errors } from '../../../http/schemas.js';
import { actorOf } from '../../../identity/http/request-actor.js';
import { mergeCloseInstants, type IngestSample } from '../formats/ingest-sample.js';
import { decodeOtlpMetrics } from '../formats/otlp.decoder.js';
import { otlpToSamples } from '../formats/otlp.mapping.js';
import { encodeOtlpResponse, encodeOtlpStatus } from '../formats/otlp.response.js';
import { countIngestRequests } from '../ingest-requests.js';
import { unsupportedMediaType } from '../metrics.errors.js';
import { bodyOf, ensureHost, ingestFor, mediaType, parsing, rawBodies, stockAgentRoute } from './stock-agent-http.js';

type Encoding = 'application/x-protobuf' | 'application/json';

/** Data points observed within a second of each other are one snapshot (mergeCloseInstants). */
const OBSERVATION_WINDOW_SECONDS = 1;

function encodingOf(request: FastifyRequest): Encoding {
  const type = mediaType(request);
  if (type === 'application/x-protobuf' || type === 'application/json') return type;
  throw unsupportedMediaType('OTLP/HTTP takes Content-Type: application/x-protobuf or application/json.');
}

/** The gRPC status code matching an HTTP status, as the OTLP/HTTP specification pairs them. */
function grpcCodeOf(status: number): number {
  const codes: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 413: 8, 415: 3, 429: 8, 503: 14 };
  return codes[status] ?? (status >= 500 ? 13 : 3);
}

/** OTLP/HTTP failures: a google.rpc.Status in the request's encoding (protobuf unless it sent JSON). */
const otlpError: ErrorRenderer = ({ status, message }, request) => {
  const encoding: Encoding = mediaType(request) === 'application/json' ? 'application/json' : 'application/x-protobuf';
  return { contentType: encoding, body: encodeOtlpStatus(encoding, grpcCodeOf(status), message) };
};

/** OpenTelemetry SDKs and the Collector's otlphttp exporter, unchanged: POST /v1/metrics. */
export const otlpRoutes: RouteModule = async (app, ctx) => {
  const { metrics } = ctx.services;
  await app.register((otlp: AppInstance, _options, done) => {
    rawBodies(otlp);
    setErrorRenderer(otlp, otlpError);
    otlp.post(
      '/v1/metrics',
      {
        ...stockAgentRoute(ctx.config.INGEST_BODY_LIMIT_BYTES),
        preParsing: gunzipBody,
        onResponse: countIngestRequests(ctx.metrics, 'otlp'),
        schema: {
          tags: ['metrics'],
          summary: 'OTLP/HTTP metrics (ExportMetricsServiceRequest, protobuf or JSON); 200 = stored',
          description:
            'Authorization: `Bearer <access JWT or agt_ API token>`. Body: `application/x-protobuf` or ' +
            '`application/json`, gzip allowed. The resource attribute `host.name` (else `service.instance.id`), ' +
            "when present, must be the agent's server_id. The answer is an ExportMetricsServiceResponse in the " +
            "request's encoding, `partial_success` naming data points not stored; errors are a google.rpc.Status.",
          consumes: ['application/x-protobuf', 'application/json'],
          response: {
            200: z.unknown().describe('ExportMetricsServiceResponse'),
            ...errors(400, 401, 403, 413, 415, 429, 503),
          },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const encoding = encodingOf(request);
        const decoded = parsing(() => decodeOtlpMetrics(bodyOf(request), encoding));
        const mapped = otlpToSamples(decoded, Date.now() / 1000);
        const samples: IngestSample[] = [];
        for (const resource of mapped.resources) {
          if (resource.host !== undefined) ensureHost(actor, resource.host, 'resource attribute host.name');
          samples.push(...resource.samples);
        }
        await ingestFor(metrics, actor, mergeCloseInstants(samples, OBSERVATION_WINDOW_SECONDS));
        const partial =
          mapped.rejectedDataPoints > 0
            ? { rejectedDataPoints: mapped.rejectedDataPoints, errorMessage: mapped.errorMessage ?? '' }
            : undefined;
        return reply.code(200).type(encoding).send(encodeOtlpResponse(encoding, partial));
      },
    );
    done();
  });
};
