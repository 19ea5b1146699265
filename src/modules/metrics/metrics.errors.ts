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
