import { AppError, createErrorFactory } from '../lib/errors.js';
import type { AccessTokenFailure } from './access-tokens.jwt.js';

export const invalidToken = createErrorFactory({
  code: 'unauthorized',
  statusCode: 401,
  message: 'The token is invalid, expired or revoked.',
});
export const tokenNotFound = createErrorFactory({ code: 'not_found', statusCode: 404, message: 'Token not found.' });

/** A bearer JWT that did not verify: `token_expired` (renew it) or `unauthorized` (bad, forged or revoked). */
export function accessTokenRefused(reason: AccessTokenFailure): AppError {
  const message =
    reason === 'token_expired' ? 'The access token has expired.' : 'The access token is invalid or revoked.';
  return new AppError(reason, 401, message);
}
