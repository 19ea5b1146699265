import { createErrorFactory } from '../../lib/errors.js';

export const ownerIsPermanent = createErrorFactory({
  code: 'owner_is_permanent',
  statusCode: 409,
  message: 'The team owner cannot be removed or changed.',
});
