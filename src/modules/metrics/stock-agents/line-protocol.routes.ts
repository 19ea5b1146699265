import { z } from 'zod';
import { setErrorRenderer, type ErrorRenderer } from '../../../http/error-handler.js';
import { gunzipBody } from '../../../http/gzip-body.js';
import type { AppInstance, RouteModule } from '../../../http/route-module.js';
import { errors } from '../../../http/schemas.js';
import { actorOf } from '../../../identity/http/request-actor.js';
import { parseLineProtocol } from '../formats/line-protocol.parser.js';
import { hostsOf, linePointsToSamples } from '../formats/telegraf.mapping.js';
import { countIngestRequests } from '../ingest-requests.js';
import { bodyOf, ensureHost, ingestFor, parsing, rawBodies, stockAgentRoute } from './stock-agent-http.js';

/** InfluxDB v2's error codes (its OpenAPI `Error.code`), by status. */
const INFLUX_CODES: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  413: 'request too large',
  415: 'unsupported media type',
  429: 'too many requests',
  503: 'unavailable',
};

/** InfluxDB's `{code, message}`, with `line` for a parse error (its LineProtocolError). */
const influxError: ErrorRenderer = ({ status, message, fields }) => ({
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify({
    code: INFLUX_CODES[status] ?? (status >= 500 ? 'internal error' : 'invalid'),
    message,
    ...(typeof fields['line'] === 'number' ? { line: fields['line'] } : {}),
  }),
});

/** Telegraf's outputs.influxdb_v2 and the InfluxDB client libraries, unchanged: POST /api/v2/write. */
export const lineProtocolRoutes: RouteModule = async (app, ctx) => {
  const { metrics } = ctx.services;
  const route = stockAgentRoute(ctx.config.INGEST_BODY_LIMIT_BYTES);
  // Its own context: raw bodies and InfluxDB-shaped errors apply to this route only.
  await app.register((influx: AppInstance, _options, done) => {
    rawBodies(influx);
    setErrorRenderer(influx, influxError);
    influx.post(
      '/api/v2/write',
      {
        ...route,
        config: { ...route.config, tokenScheme: true },
        preParsing: gunzipBody,
        onResponse: countIngestRequests(ctx.metrics, 'line_protocol'),
        schema: {
          tags: ['metrics'],
          summary: 'InfluxDB v2 line protocol (Telegraf outputs.influxdb_v2, InfluxDB client libraries); 204 = stored',
          description:
            'Authorization: `Token <agt_ API token>` or `Bearer <access JWT or API token>`. `org` and `bucket` ' +
            'are accepted and ignored: the token names the agent. Body: line protocol, gzip allowed ' +
            "(Content-Encoding). A `host` tag must be the agent's server_id. Errors: InfluxDB's `{code, message}`, " +
            'with `line` for a parse error; a body with one bad line stores nothing. Mapping: docs/INGEST.md.',
          consumes: ['text/plain'],
          querystring: z.object({
            org: z.string().max(255).optional(),
            bucket: z.string().max(255).optional(),
            precision: z.enum(['ns', 'us', 'ms', 's']).default('ns'),
          }),
          response: { 204: z.null().describe('Stored'), ...errors(400, 401, 403, 413, 429, 503) },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const text = bodyOf(request).toString('utf8');
        const points = parsing(() => parseLineProtocol(text, request.query.precision));
        for (const host of hostsOf(points)) ensureHost(actor, host, 'host tag');
        await ingestFor(metrics, actor, linePointsToSamples(points, Date.now() / 1000));
        return reply.code(204).send(null);
      },
    );
    done();
  });
};
