import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { AppError, fromDatabaseError } from '../lib/errors.js';

interface Envelope {
  error: string;
  message: string;
  [field: string]: unknown;
}

/** One error handler for the whole app: every failure leaves in the envelope of API.md. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body, headers } = classify(error, request);
    return send(request, reply.headers(headers), status, body);
  });

  app.setNotFoundHandler(
    // Even unknown routes are rate limited, so 404 scanning costs an attacker the same.
    { preHandler: app.rateLimit() },
    (request, reply) =>
      send(request, reply, 404, {
        error: 'not_found',
        message: `Route ${request.method} ${request.url.split('?')[0] ?? ''} not found.`,
      }),
  );
}

/** An error as it would leave in API.md's envelope, logged the way every error is. */
function classify(error: FastifyError, request: FastifyRequest) {
  const envelope = toEnvelope(error);
  const { status } = envelope;
  if (status >= 500 && status !== 503) request.log.error({ err: error }, 'unhandled error');
  else if (status === 503)
    request.log.warn({ err: { message: error.message, code: error.code } }, 'dependency unavailable');
  return envelope;
}

/** What a route family that speaks another protocol's error format sends instead of the envelope. */
export type ErrorRenderer = (
  failure: { status: number; code: string; message: string; fields: Record<string, unknown> },
  request: FastifyRequest,
) => { contentType: string; body: string | Buffer };

/**
 * For the routes registered in `app`'s (encapsulated) context: failures keep their status, headers, logging and
 * mapping, but leave in the shape the route's clients parse (InfluxDB's `{code, message}`, OTLP's Status, ...).
 */
export function setErrorRenderer(app: FastifyInstance, render: ErrorRenderer): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body, headers } = classify(error, request);
    const { error: code, message, ...fields } = body;
    const rendered = render({ status, code, message, fields }, request);
    return reply.headers(headers).code(status).type(rendered.contentType).send(rendered.body);
  });
}

function send(request: FastifyRequest, reply: FastifyReply, status: number, body: Envelope) {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ ...body, request_id: request.id });
}

function toEnvelope(error: FastifyError): { status: number; body: Envelope; headers: Record<string, string> } {
  if (error instanceof AppError) {
    return {
      status: error.statusCode,
      body: { error: error.code, message: error.message, ...error.fields },
      headers: error.headers,
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation as unknown as { instancePath: string; message?: string }[];
    const details = issues.map((v) => ({
      path: [error.validationContext, ...v.instancePath.split('/').filter(Boolean)].filter(Boolean).join('.'),
      message: v.message ?? 'invalid',
    }));
    return {
      status: 400,
      body: { error: 'invalid_request', message: 'The request is invalid.', details },
      headers: {},
    };
  }
  if (error instanceof ZodError) {
    // Schemas parsed inside a handler (e.g. a body whose shape depends on state).
    const details = error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message }));
    return {
      status: 400,
      body: { error: 'invalid_request', message: 'The request is invalid.', details },
      headers: {},
    };
  }
  if (isResponseSerializationError(error)) {
    return { status: 500, body: { error: 'internal_error', message: 'Internal server error.' }, headers: {} };
  }
  const database = fromDatabaseError(error);
  if (database)
    return {
      status: database.statusCode,
      body: { error: database.code, message: database.message },
      headers: database.headers,
    };
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
  if (status >= 500)
    return { status: 500, body: { error: 'internal_error', message: 'Internal server error.' }, headers: {} };
  return {
    status,
    body: { error: FASTIFY_CODES[error.code] ?? codeForStatus(status), message: error.message },
    headers: {},
  };
}

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_request',
  FST_ERR_VALIDATION: 'invalid_request',
};

function codeForStatus(status: number): string {
  const codes: Record<number, string> = {
    400: 'invalid_request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    406: 'not_acceptable',
    409: 'conflict',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    429: 'rate_limited',
  };
  return codes[status] ?? 'invalid_request';
}
