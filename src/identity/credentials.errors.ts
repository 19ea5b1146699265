import { createErrorFactory } from '../lib/errors.js';

export const invalidToken = createErrorFactory({
  code: 'unauthorized',
  statusCode: 401,
  message: 'The token is invalid, expired or revoked.',
});
export const tokenNotFound = createErrorFactory({ code: 'not_found', statusCode: 404, message: 'Token not found.' });
