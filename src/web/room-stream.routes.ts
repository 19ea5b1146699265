import { z } from 'zod';
import type { MessageRow } from '../db/schema/index.js';
import { userOf } from '../identity/http/request-actor.js';
import type { RouteModule } from '../http/route-module.js';
import type { AppEvents } from '../lib/events.js';
import { presentClaim } from '../modules/claims/claims.schemas.js';
import { presentMessage } from '../modules/rooms/rooms.schemas.js';
import { eventStreams } from './sse.js';

/** A reconnect further behind than this starts from the page's history instead (the page reloads it). */
const REPLAY_LIMIT = 200;

type ClaimChange = AppEvents['claim.changed'][0];
type RoomUpdate = { message: MessageRow } | { archived: true } | { claimChange: ClaimChange };

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
 * The room's claims come as a `claims` snapshot at every (re)connection, then a `claim` event per change.
 */
export const roomStreamRoutes: RouteModule = (app, ctx) => {
  const { rooms, claims } = ctx.services;
  const start = eventStreams(app);
  // One listener for every open stream, dispatched by room.
  const byRoom = new Map<string, Set<(update: RoomUpdate) => void>>();
  const onMessage = ({ message }: { message: MessageRow }) => {
    for (const deliver of byRoom.get(message.roomId) ?? []) deliver({ message });
  };
  const onArchived = ({ roomId }: { roomId: string }) => {
    for (const deliver of byRoom.get(roomId) ?? []) deliver({ archived: true });
  };
  const onClaim = (claimChange: ClaimChange) => {
    for (const deliver of byRoom.get(claimChange.roomId) ?? []) deliver({ claimChange });
  };
  ctx.events.on('message.created', onMessage);
  ctx.events.on('room.archived', onArchived);
  ctx.events.on('claim.changed', onClaim);
  app.addHook('onClose', (_app, done) => {
    ctx.events.off('message.created', onMessage);
    ctx.events.off('room.archived', onArchived);
    ctx.events.off('claim.changed', onClaim);
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
      // Claim changes wait while the snapshot is read, then follow it in order (applying one twice is harmless).
      let heldClaims: ClaimChange[] | undefined = [];
      const sendClaim = ({ change, claim }: ClaimChange) => stream.send('claim', JSON.stringify({ change, claim }));
      const claimsSnapshot = async () => {
        const live = await claims.liveIn(room.id);
        stream.send('claims', JSON.stringify({ claims: live.map(presentClaim), server_time: new Date() }));
        for (const change of heldClaims ?? []) sendClaim(change);
        heldClaims = undefined;
      };
      const deliver = (update: RoomUpdate) => {
        if ('archived' in update) return stream.send('archived', '{}');
        if ('claimChange' in update)
          return heldClaims ? heldClaims.push(update.claimChange) : sendClaim(update.claimChange);
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
      await claimsSnapshot().catch(failed);
      if (request.query.once) stream.end();
    },
  );
};
