import type { FastifyBaseLogger } from 'fastify';
import type { RecipientReason, RoomKind } from '../../db/schema/index.js';
import type { Actor } from '../../identity/actor.model.js';
import type { StoredMessage } from '../../lib/events.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import { createDeliveryMarks } from './delivery-marks.js';
import { badInboxCursor } from './inbox.errors.js';
import type { InboxCursor, InboxRepository, Recipient } from './inbox.repository.js';

export interface InboxItem {
  message: StoredMessage;
  room: { id: string; slug: string; name: string; kind: RoomKind };
  reason: RecipientReason;
  deliveredAt: Date | null;
}

interface Deps {
  repository: InboxRepository;
  rooms: Pick<RoomsService, 'load' | 'withMentions'>;
  log: FastifyBaseLogger;
}

const recipientOf = (actor: Actor): Recipient =>
  actor.kind === 'user' ? { userId: actor.user.id } : { agentId: actor.agent.id };

const encodeCursor = (c: InboxCursor) => Buffer.from(`${c.at}|${c.messageId}`).toString('base64url');

function decodeCursor(raw: string): InboxCursor {
  const [at, messageId, ...rest] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const valid =
    rest.length === 0 &&
    at !== undefined &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(at) &&
    messageId !== undefined &&
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(messageId);
  if (!valid) throw badInboxCursor();
  return { at, messageId };
}

/**
 * The inbox: what is addressed to the caller (mentions, @room, direct messages) and not yet acknowledged,
 * oldest first, in rooms it may still read. Delivery to a live socket is recorded (delivered_at) but does
 * not empty the inbox; only an acknowledgement by the recipient does.
 */
export function createInboxService({ repository, rooms, log }: Deps) {
  const marks = createDeliveryMarks((pairs) => repository.markDelivered(pairs), log);

  return {
    async list(actor: Actor, query: { roomId?: string | undefined; cursor?: string | undefined; limit: number }) {
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      // A room filter follows the rooms' read rule: 404 for a room the caller may not read.
      const roomId = query.roomId === undefined ? undefined : (await rooms.load(query.roomId, actor)).id;
      const recipient = recipientOf(actor);
      const [rows, pending] = await Promise.all([
        repository.list(recipient, { roomId, ...(after ? { after } : {}), limit: query.limit + 1 }),
        repository.count(recipient),
      ]);
      const page = rows.slice(0, query.limit);
      const messages = await rooms.withMentions(page.map((r) => r.message));
      const last = page.at(-1);
      return {
        items: page.map((r, i): InboxItem => ({
          message: messages[i] ?? r.message,
          room: r.room,
          reason: r.reason,
          deliveredAt: r.deliveredAt,
        })),
        nextCursor:
          rows.length > query.limit && last ? encodeCursor({ at: last.at, messageId: last.message.id }) : null,
        pending,
      };
    },

    pendingCount: (actor: Actor) => repository.count(recipientOf(actor)),

    /** Acknowledges the caller's own items; ids addressed to anyone else (or to no one) change nothing. */
    async acknowledge(actor: Actor, messageIds: string[]) {
      const distinct = [...new Set(messageIds.map((id) => id.toLowerCase()))];
      const mine = new Set(await repository.acknowledge(recipientOf(actor), distinct));
      return { acknowledged: distinct.filter((id) => mine.has(id)), unknown: distinct.filter((id) => !mine.has(id)) };
    },

    /** A message addressed to this agent was emitted to a live socket of its own. */
    delivered: (messageId: string, agentId: string) => marks.add(messageId, agentId),

    addressedAfter: (roomId: string, agentId: string, afterSeq: number, limit: number) =>
      repository.addressedAfter(roomId, agentId, afterSeq, limit),

    /** Writes the pending delivery marks (shutdown). */
    drain: () => marks.drain(),
  };
}

export type InboxService = ReturnType<typeof createInboxService>;
