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
/** `@name` naming no member agent of the room: nothing is stored. */
export const unknownMention = createErrorFactory({
  code: 'unknown_mention',
  statusCode: 400,
  message: 'The message mentions someone who is not a member of the room.',
});
/** reply_to_seq naming no message of this room. */
export const unknownReplyTo = createErrorFactory({
  code: 'unknown_reply_to',
  statusCode: 400,
  message: 'reply_to_seq names no message of this room.',
});
export const threadNotFound = createErrorFactory({
  code: 'not_found',
  statusCode: 404,
  message: 'No message with that seq in this room.',
});
/** Direct rooms keep their two participants and cannot be archived. */
export const directRoomFixed = createErrorFactory({
  code: 'direct_room',
  statusCode: 409,
  message: 'A direct conversation keeps its two participants and cannot be archived.',
});
