import { createErrorFactory } from '../../lib/errors.js';

export const badInboxCursor = createErrorFactory({
  code: 'invalid_cursor',
  statusCode: 400,
  message: 'The cursor is not one an inbox read returned.',
});
