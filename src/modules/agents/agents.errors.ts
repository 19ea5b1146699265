import { AppError, createErrorFactory } from '../../lib/errors.js';

export const agentNotFound = createErrorFactory({ code: 'not_found', statusCode: 404, message: 'Agent not found.' });
export const ownerNotFound = createErrorFactory({
  code: 'not_found',
  statusCode: 404,
  message: 'Owner or team not found.',
});
export const agentNotActive = createErrorFactory({
  code: 'agent_not_active',
  statusCode: 409,
  message: 'The agent is not active.',
});

export function serverIdConflict(serverId: string, agentId: string): AppError {
  return new AppError('server_id_conflict', 409, `An active agent with server_id "${serverId}" already exists.`, {
    suggestion: 'Replace the existing agent (POST /api/v1/agents/replace) or choose another server_id.',
    existing_agent_id: agentId,
  });
}
