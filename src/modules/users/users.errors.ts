import { createErrorFactory } from '../../lib/errors.js';

export const emailTaken = createErrorFactory({
  code: 'email_taken',
  statusCode: 409,
  message: 'A user with that email already exists.',
});
export const userNotFound = createErrorFactory({ code: 'not_found', statusCode: 404, message: 'User not found.' });
export const lastAdmin = createErrorFactory({
  code: 'last_admin',
  statusCode: 409,
  message: 'The last active admin cannot be demoted or disabled.',
});
