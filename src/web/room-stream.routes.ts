import { z } from 'zod';
import type { MessageRow } from '../db/schema/index.js';
import { userOf } from '../identity/http/request-actor.js';
import type { RouteModule } from '../http/route-module.js';
import { presentMessage } from '../modules/rooms/rooms.schemas.js';
import { eventStreams } from './sse.js';

/** A reconnect further behind than this starts from the page's history instead (the page reloads it). */
const REPLAY_LIMIT = 200;

type RoomUpdate = { message: MessageRow } | { archived: true };

const params = z.object({ id: z.string().min(1).max(64) });
const query = z.object({
  after_seq: z.coerce.number().int().min(0).optional(),
  once: z.enum(['1', 'true']).optional(),
});

/**
 * GET /rooms/:id/stream: a room's new messages as server-sent events, for
 * people who may read the room (the rooms policy; 404 for anyone else).
 * Each `message` event has the message's seq as its id, so a reconnecting
 * EventSource (Last-Event-ID) gets what it missed from the database first.
 */
export const roomStreamRoutes: RouteModule = (app, ctx) => {
  const { rooms } = ctx.services;
  const start = eventStreams(app);
  // One listener for every open stream, dispatched by room.
  const byRoom = new Map<string, Set<(update: RoomUpdate) => void>>();
  const onMessage = ({ message }: { message: MessageRow }) => {
    for (const deliver of byRoom.get(message.roomId) ?? []) deliver({ message });
  };
  const onArchived = ({ roomId }: { roomId: string }) => {
    for (const deliver of byRoom.get(roomId) ?? []) deliver({ archived: true });
  };
  ctx.events.on('message.created', onMessage);
  ctx.events.on('room.archived', onArchived);
  app.addHook('onClose', (_app, done) => {
    ctx.events.off('message.created', onMessage);
    ctx.events.off('room.archived', onArchived);
    done();
  });

  app.get(
    '/rooms/:id/stream',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['rooms'],
        summary: "A room's new messages for people (text/event-stream)",
        params,
        querystring: query,
      },
    },
    async (request, reply) => {
      const actor = userOf(request);
      const room = await rooms.load(request.params.id, actor);
      const lastEventId = Number(request.headers['last-event-id']);
      let lastSeq = Number.isInteger(lastEventId) ? lastEventId : (request.query.after_seq ?? room.lastSeq);

      const stream = start(reply);
      const send = (message: MessageRow) => {
        if (message.seq <= lastSeq) return;
        lastSeq = message.seq;
        stream.send('message', JSON.stringify(presentMessage(message)), message.seq);
      };
      // Live updates wait while missed messages are read from the database, so none falls in between:
      // at the start (what a reconnect missed) and whenever one arrives ahead of the next seq (messages
      // from other instances can arrive out of order, or one may have been lost while Redis was away).
      let held: MessageRow[] | undefined = [];
      const catchUp = async () => {
        const missed = await rooms.history(room.id, actor, { afterSeq: lastSeq, limit: REPLAY_LIMIT });
        for (const message of missed.messages) send(message);
        const waiting = (held ?? []).sort((x, y) => x.seq - y.seq);
        held = undefined;
        for (const message of waiting) send(message);
      };
      const deliver = (update: RoomUpdate) => {
        if ('archived' in update) return stream.send('archived', '{}');
        const { message } = update;
        if (held) return held.push(message);
        if (message.seq <= lastSeq + 1) return send(message);
        held = [message];
        void catchUp().catch(failed);
      };
      const failed = (error: unknown) => {
        request.log.warn({ err: error }, 'room stream catch-up failed');
        stream.end();
      };
      const listeners = byRoom.get(room.id) ?? new Set();
      byRoom.set(room.id, listeners.add(deliver));
      stream.onClose(() => {
        listeners.delete(deliver);
        if (listeners.size === 0) byRoom.delete(room.id);
      });

      await catchUp().catch(failed);
      if (request.query.once) stream.end();
    },
  );
};
