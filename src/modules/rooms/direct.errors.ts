import { createErrorFactory } from '../../lib/errors.js';

/** Whom the caller may not write to is, for it, no one: 404 like any agent it may not know. */
export const directAgentNotFound = createErrorFactory({
  code: 'not_found',
  statusCode: 404,
  message: 'Agent not found.',
});
export const directToSelf = createErrorFactory({
  code: 'direct_to_self',
  statusCode: 400,
  message: 'An agent cannot send a direct message to itself.',
});
export const ambiguousAgent = createErrorFactory({
  code: 'ambiguous_agent',
  statusCode: 400,
  message: 'Several agents have that name; give the agent id.',
});
