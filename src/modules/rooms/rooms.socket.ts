import { z } from 'zod';
import { subscribe } from '../../lib/events.js';
import { createPresence } from '../../realtime/presence.js';
import { createRoomJoins } from '../../realtime/room-joins.js';
import { roomChannel, type AgentSocket } from '../../realtime/socket-events.js';
import type { SocketFeature } from '../../realtime/socket-feature.js';
import { handleEvent } from '../../realtime/socket-handler.js';
import { createSharedPresence } from '../../scale/shared-presence.js';
import { notInRoom, roomArchived } from './rooms.errors.js';
import { clientMsgId, messageBody, presentMessage, replyToSeq } from './rooms.schemas.js';

const joinPayload = z.object({ room_id: z.uuid(), since_seq: z.number().int().min(0).optional() });
const leavePayload = z.object({ room_id: z.uuid() });
const sendPayload = z.object({
  room_id: z.uuid(),
  body: messageBody,
  client_msg_id: clientMsgId.optional(),
  reply_to_seq: replyToSeq.optional(),
});

/**
 * Rooms over socket.io: every connecting agent joins its rooms and is greeted with their last seqs;
 * room:join (with replay), room:leave and message:send; presence; and the listeners that broadcast
 * stored messages and move live sockets when membership changes or a room is archived.
 */
export const roomSockets: SocketFeature = (nsp, ctx) => {
  const { rooms } = ctx.services;
  const shared = ctx.redis
    ? createSharedPresence(createPresence(), ctx.redis, ctx.config.PRESENCE_TTL * 1000)
    : undefined;
  const presence = shared ?? createPresence();
  const joins = createRoomJoins({ nsp, presence, metrics: ctx.metrics });

  nsp.on('connection', (socket) => {
    const agentId = socket.data.actor.agent.id;
    socket.on('disconnect', () => {
      for (const roomId of [...socket.data.rooms]) joins.leave(socket, roomId);
    });

    handleEvent(socket, 'room:join', ctx, async (payload, ack) => {
      const { room_id, since_seq } = joinPayload.parse(payload);
      if (!(await rooms.isMember(room_id, socket.data.actor.agent.id))) throw notInRoom();
      // Joined before the room is read, so last_seq covers everything not broadcast to this socket.
      joins.join(socket, room_id);
      const room = await rooms.load(room_id, socket.data.actor);
      if (room.archivedAt) {
        // Archiving moved every socket out; an archived room takes no one back.
        joins.leave(socket, room_id);
        throw roomArchived();
      }
      const replay = since_seq === undefined ? { missed: [], recovered: true } : await rooms.replay(room_id, since_seq);
      ack?.({
        ok: true,
        presence: await presence.snapshot(room_id),
        missed: replay.missed.map(presentMessage),
        recovered: replay.recovered,
        last_seq: room.lastSeq,
      });
    });

    handleEvent(socket, 'room:leave', ctx, (payload, ack) => {
      const { room_id } = leavePayload.parse(payload);
      joins.leave(socket, room_id);
      ack?.({ ok: true });
      return Promise.resolve();
    });

    handleEvent(socket, 'message:send', ctx, async (payload, ack) => {
      const input = sendPayload.parse(payload);
      if (!socket.data.rooms.has(input.room_id) && !(await rooms.isMember(input.room_id, socket.data.actor.agent.id)))
        throw notInRoom();
      const { message, duplicate } = await rooms.send(socket.data.actor, {
        roomId: input.room_id,
        body: input.body,
        clientMsgId: input.client_msg_id,
        replyToSeq: input.reply_to_seq,
      });
      ack?.({ ok: true, message: presentMessage(message), duplicate });
    });

    // Join every room the agent belongs to, then say hello with each room's last seq.
    rooms
      .roomsOfAgent(agentId)
      .then((memberOf) => {
        if (!socket.connected) return;
        const active = memberOf.filter((r) => r.archivedAt === null);
        for (const room of active) joins.join(socket, room.id);
        socket.emit('connected', {
          agent_id: agentId,
          rooms: active.map((r) => ({ id: r.id, slug: r.slug, last_seq: r.lastSeq })),
        });
      })
      .catch((error: unknown) => {
        ctx.log.warn({ err: error }, 'could not load the rooms of a connecting agent');
        socket.emit('error', { error: 'unavailable', message: 'Could not load your rooms; reconnect.' });
        socket.disconnect(true);
      });
  });

  function localSockets(agentId: string): AgentSocket[] {
    return [...nsp.sockets.values()].filter((s) => s.data.actor.agent.id === agentId);
  }

  const unsubscribe = subscribe(ctx.events, {
    // Local only: with Redis, the event fan-out replays every instance's messages on every other, so each
    // instance delivers to its own sockets (a broadcast through the adapter as well would deliver twice).
    'message.created': ({ message }) =>
      nsp.local.to(roomChannel(message.roomId)).emit('message:new', presentMessage(message)),
    'room.member_added': ({ roomId, agentId }) => {
      for (const socket of localSockets(agentId)) joins.join(socket, roomId);
    },
    'room.member_removed': ({ roomId, agentId }) => {
      for (const socket of localSockets(agentId)) joins.leave(socket, roomId);
    },
    'room.archived': ({ roomId }) => {
      for (const socket of nsp.sockets.values()) if (socket.data.rooms.has(roomId)) joins.leave(socket, roomId);
    },
  });
  return () => {
    unsubscribe();
    shared?.stop();
  };
};
