import { AppError } from '../../lib/errors.js';

export function serverIdMismatch(expected: string | null, received: string): AppError {
  return new AppError('server_id_mismatch', 403, 'server_id does not match the token.', { expected, received });
}

export function invalidSample(path: string, message: string): AppError {
  return new AppError('invalid_request', 400, `${path}: ${message}`, { details: [{ path, message }] });
}
