import { AppError, createErrorFactory } from '../lib/errors.js';

export const invalidCredentials = createErrorFactory({
  code: 'invalid_credentials',
  statusCode: 401,
  message: 'Email or password is incorrect.',
});
export const invalidOrExpiredLink = createErrorFactory({
  code: 'invalid_or_expired',
  statusCode: 400,
  message: 'This sign-in link is invalid, expired or already used.',
});

export function tooManyAttempts(retryAfter: number): AppError {
  return new AppError(
    'rate_limited',
    429,
    'Too many attempts; try again later.',
    {},
    { 'retry-after': String(retryAfter) },
  );
}
