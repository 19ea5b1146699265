import { z } from 'zod';
import { setErrorRenderer, type ErrorRenderer } from '../../../http/error-handler.js';
import type { AppInstance, RouteModule } from '../../../http/route-module.js';
import { errors } from '../../../http/schemas.js';
import { actorOf } from '../../../identity/http/request-actor.js';
import type { IngestSample } from '../formats/ingest-sample.js';
import { remoteWriteToSamples } from '../formats/prometheus.mapping.js';
import { decodeRemoteWrite } from '../formats/remote-write.decoder.js';
import { countIngestRequests } from '../ingest-requests.js';
import { unsupportedMediaType } from '../metrics.errors.js';
import {
  bodyOf,
  ensureInstance,
  ingestFor,
  mediaType,
  parsing,
  rawBodies,
  stockAgentRoute,
} from './stock-agent-http.js';

/** Prometheus logs a remote_write failure's body as text. */
const plainTextError: ErrorRenderer = ({ message }) => ({
  contentType: 'text/plain; charset=utf-8',
  body: `${message}\n`,
});

/** Prometheus, Grafana Agent and anything else speaking remote_write 1.0: POST /api/v1/prom/write. */
export const remoteWriteRoutes: RouteModule = async (app, ctx) => {
  const { metrics } = ctx.services;
  const decodedLimit = ctx.config.INGEST_BODY_LIMIT_BYTES;
  await app.register((prometheus: AppInstance, _options, done) => {
    rawBodies(prometheus);
    setErrorRenderer(prometheus, plainTextError);
    prometheus.post(
      '/api/v1/prom/write',
      {
        ...stockAgentRoute(ctx.config.INGEST_BODY_LIMIT_BYTES),
        onResponse: countIngestRequests(ctx.metrics, 'remote_write'),
        schema: {
          tags: ['metrics'],
          summary: 'Prometheus remote_write 1.0 (snappy-compressed protobuf WriteRequest); 204 = stored',
          description:
            'Authorization: `Bearer <access JWT or agt_ API token>` (Prometheus `authorization.credentials`). ' +
            "Content-Type `application/x-protobuf`, Content-Encoding `snappy`. A series' `instance` label, when " +
            "present, must be the agent's server_id, optionally with `:port`. Errors are plain text; Prometheus " +
            'drops a batch answered 4xx and retries 429 and 5xx.',
          consumes: ['application/x-protobuf'],
          response: { 204: z.null().describe('Stored'), ...errors(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        if (mediaType(request) !== 'application/x-protobuf')
          throw unsupportedMediaType('remote_write takes Content-Type: application/x-protobuf.');
        const encoding = request.headers['content-encoding']?.toLowerCase();
        if (encoding !== undefined && encoding !== 'snappy')
          throw unsupportedMediaType('remote_write takes Content-Encoding: snappy.');
        const decoded = parsing(() => decodeRemoteWrite(bodyOf(request), decodedLimit));
        const mapped = remoteWriteToSamples(decoded, Date.now() / 1000);
        const samples: IngestSample[] = [];
        for (const [instance, ofInstance] of mapped.instances) {
          if (instance !== undefined) ensureInstance(actor, instance);
          samples.push(...ofInstance);
        }
        await ingestFor(metrics, actor, samples);
        return reply.code(204).send(null);
      },
    );
    done();
  });
};
