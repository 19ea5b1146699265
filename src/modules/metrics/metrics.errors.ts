import { AppError, createErrorFactory } from '../../lib/errors.js';

export function serverIdMismatch(expected: string | null, received: string): AppError {
  return new AppError('server_id_mismatch', 403, 'server_id does not match the token.', { expected, received });
}

export function invalidSample(path: string, message: string): AppError {
  return new AppError('invalid_request', 400, `${path}: ${message}`, { details: [{ path, message }] });
}

export const noAgentWithServerId = createErrorFactory({
  code: 'not_found',
  statusCode: 404,
  message: 'No agent with that server_id.',
});

/** The group-commit queue is full: agents keep the samples and retry (never a 4xx that would drop them). */
export function ingestSaturated(): AppError {
  return new AppError('unavailable', 503, 'Ingestion is saturated; retry shortly.', {}, { 'retry-after': '1' });
}

/** A stock agent's body its format's parser refused (the route renders it in that format's error shape). */
export function formatRefused(status: 400 | 413 | 415, message: string, line?: number): AppError {
  const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'invalid_request';
  return new AppError(code, status, message, line === undefined ? {} : { line });
}

/** A host named in a stock agent's data (host tag, host.name, instance label) that is not the agent's server_id. */
export function hostMismatch(expected: string | null, received: string, where: string): AppError {
  const error = serverIdMismatch(expected, received);
  error.message = `The ${where} "${received}" is not this agent's server_id.`;
  return error;
}

/** A stock-agent route sent a content type or encoding its format does not use. */
export const unsupportedMediaType = createErrorFactory({
  code: 'unsupported_media_type',
  statusCode: 415,
  message: 'Unsupported content type.',
});
