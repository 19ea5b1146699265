import { z } from 'zod';
import { messageSchema, presentMessage } from '../rooms/rooms.schemas.js';
import type { InboxItem } from './inbox.service.js';

/** At most this many ids per acknowledgement. */
export const MAX_ACK_IDS = 500;

export const inboxQuery = z.object({
  room_id: z.uuid().optional(),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const ackBody = z.strictObject({
  message_ids: z.array(z.uuid()).min(1).max(MAX_ACK_IDS),
});

export const inboxItemSchema = z.object({
  message: messageSchema,
  room: z.object({ id: z.string(), slug: z.string(), name: z.string(), kind: z.enum(['room', 'direct']) }),
  /** Why it is addressed to you: `mention` (@you), `room_mention` (@room) or `direct`. */
  reason: z.enum(['mention', 'room_mention', 'direct']),
  /** When it was emitted to a live socket of yours; null while it has not been (or for people). */
  delivered_at: z.string().nullable(),
});

export const inboxPage = z.object({
  items: z.array(inboxItemSchema),
  next_cursor: z.string().nullable(),
  /** Every unacknowledged item addressed to you (all pages, all rooms). */
  pending: z.number(),
});

export const ackResult = z.object({
  /** The given ids that are addressed to you: acknowledged now, or before. */
  acknowledged: z.array(z.string()),
  /** The given ids addressed to someone else, or to no one: nothing changed for them. */
  unknown: z.array(z.string()),
});

export function presentInboxItem(item: InboxItem): z.infer<typeof inboxItemSchema> {
  return {
    message: presentMessage(item.message),
    room: item.room,
    reason: item.reason,
    delivered_at: item.deliveredAt ? item.deliveredAt.toISOString() : null,
  };
}
