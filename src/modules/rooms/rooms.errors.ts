import { createErrorFactory } from '../../lib/errors.js';

export const roomNotFound = createErrorFactory({ code: 'not_found', statusCode: 404, message: 'Room not found.' });
export const slugTaken = createErrorFactory({
  code: 'slug_taken',
  statusCode: 409,
  message: 'You already have a room with that slug.',
});
export const roomArchived = createErrorFactory({
  code: 'room_archived',
  statusCode: 409,
  message: 'The room is archived.',
});
export const notAMember = createErrorFactory({
  code: 'forbidden',
  statusCode: 403,
  message: 'Only members of the room may do that.',
});
/** A socket's room:join or message:send for a room its agent is not in. */
export const notInRoom = createErrorFactory({
  code: 'forbidden',
  statusCode: 403,
  message: 'Not a member of this room.',
});
export const agentOutsideTenant = createErrorFactory({
  code: 'agent_not_in_tenant',
  statusCode: 403,
  message: "The agent does not belong to the room's owner or team.",
});
export const messageTooLarge = createErrorFactory({
  code: 'payload_too_large',
  statusCode: 413,
  message: 'The message body is too large.',
});
