import { z } from 'zod';
import type { RoomRow } from '../../db/schema/index.js';
import type { StoredMessage } from '../../lib/events.js';

export const slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'slug: lower-case letters, digits, _ and -');
export const clientMsgId = z.string().min(1).max(100);
export const messageBody = z.string().min(1, 'body must not be empty').max(1_048_576);

export const roomSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  owner_id: z.string(),
  team_id: z.string().nullable(),
  last_seq: z.number(),
  created_at: z.string(),
  archived_at: z.string().nullable(),
  /** `direct`: a private conversation of two (docs/COORDINATION.md). */
  kind: z.enum(['room', 'direct']),
});

export const messageSchema = z.object({
  id: z.string(),
  room_id: z.string(),
  seq: z.number(),
  sender_id: z.string().nullable(),
  sender_type: z.enum(['agent', 'user']).nullable(),
  body: z.string(),
  client_msg_id: z.string().nullable(),
  created_at: z.string(),
  /** Member agents named with `@name` (an `@room` mention addresses everyone and lists no one here). */
  mentions: z.array(z.object({ agent_id: z.string(), name: z.string() })),
  /** A thread reply: the seq of its parent in the same room. */
  reply_to_seq: z.number().nullable(),
  reply_count: z.number(),
  last_reply_at: z.string().nullable(),
});

export const memberSchema = z.object({
  agent_id: z.string(),
  name: z.string(),
  display_name: z.string().nullable(),
  server_id: z.string().nullable(),
  joined_at: z.string(),
});

export const createRoomBody = z.object({ slug, name: z.string().trim().min(1).max(100), team_id: z.uuid().optional() });
export const roomParams = z.object({ id: z.string().min(1).max(64) });
export const memberParams = z.object({ id: z.string().min(1).max(64), agent_id: z.uuid() });
export const replyToSeq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const historyQuery = z.object({
  cursor: z.coerce.number().int().min(1).optional(),
  /** A thread: its parent and replies, oldest first; `cursor` or `after_seq` continue after a seq. */
  thread: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  after_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const sendBody = z.object({
  body: messageBody,
  client_msg_id: clientMsgId.optional(),
  reply_to_seq: replyToSeq.optional(),
});

export type MessagePayload = z.infer<typeof messageSchema>;

export function presentRoom(room: RoomRow): z.infer<typeof roomSchema> {
  return {
    id: room.id,
    slug: room.slug,
    name: room.name,
    owner_id: room.ownerId,
    team_id: room.teamId,
    last_seq: room.lastSeq,
    created_at: room.createdAt.toISOString(),
    archived_at: room.archivedAt ? room.archivedAt.toISOString() : null,
    kind: room.kind,
  };
}

export function presentMessage(m: StoredMessage): MessagePayload {
  return {
    id: m.id,
    room_id: m.roomId,
    seq: m.seq,
    sender_id: m.senderAgentId ?? m.senderUserId,
    sender_type: m.senderAgentId ? 'agent' : m.senderUserId ? 'user' : null,
    body: m.body,
    client_msg_id: m.clientMsgId,
    created_at: m.createdAt.toISOString(),
    mentions: (m.mentions ?? []).map((x) => ({ agent_id: x.agentId, name: x.name })),
    reply_to_seq: m.replyToSeq,
    reply_count: m.replyCount,
    last_reply_at: m.lastReplyAt ? m.lastReplyAt.toISOString() : null,
  };
}
