import { z } from 'zod';
import type { AppContext } from '../../context.js';
import type { Presence } from '../../realtime/presence.js';
import type { RoomJoins } from '../../realtime/room-joins.js';
import type { Ack } from '../../realtime/socket-events.js';
import type { AgentSocket } from '../../realtime/socket-server.js';
import { AppError, fromDatabaseError } from '../../lib/errors.js';
import { roomArchived } from './rooms.errors.js';
import { clientMsgId, messageBody, presentMessage } from './rooms.schemas.js';

const joinPayload = z.object({ room_id: z.uuid(), since_seq: z.number().int().min(0).optional() });
const leavePayload = z.object({ room_id: z.uuid() });
const sendPayload = z.object({ room_id: z.uuid(), body: messageBody, client_msg_id: clientMsgId.optional() });

interface Deps {
  ctx: AppContext;
  presence: Presence;
  joins: RoomJoins;
}

type Reply = Ack;

function fail(ack: Reply | undefined, caught: unknown) {
  const error = fromDatabaseError(caught) ?? caught;
  if (error instanceof z.ZodError) {
    ack?.({
      ok: false,
      error: 'invalid_request',
      details: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  } else if (error instanceof AppError && error.statusCode < 500) {
    ack?.({ ok: false, error: error.statusCode === 403 ? 'forbidden' : error.code, message: error.message });
  } else {
    const unavailable = error instanceof AppError && error.code === 'unavailable';
    ack?.({
      ok: false,
      error: unavailable ? 'unavailable' : 'internal_error',
      ...(unavailable ? { message: error.message, retry_after: Number(error.headers['retry-after'] ?? 5) } : {}),
    });
  }
}

/** room:join, room:leave and message:send for one socket. */
export function registerRoomHandlers(socket: AgentSocket, { ctx, presence, joins }: Deps) {
  const { rooms } = ctx.services;

  /** Every handler: validated, timed, never throws into socket.io. */
  function on(
    event: 'room:join' | 'room:leave' | 'message:send',
    handle: (payload: unknown, ack: Reply | undefined) => Promise<void>,
  ) {
    socket.on(event, (payload: unknown, ack?: Reply) => {
      // A client may omit the ack or send something else in its place.
      const reply = typeof ack === 'function' ? ack : undefined;
      const end = ctx.metrics.websocketLatency.startTimer({ event });
      // Inside a promise: a handler that throws before its first await must not become an uncaught exception.
      new Promise<void>((resolve) => resolve(handle(payload, reply)))
        .catch((error: unknown) => {
          if (!(error instanceof z.ZodError || error instanceof AppError || fromDatabaseError(error)))
            ctx.log.error({ err: error, event }, 'socket handler failed');
          fail(reply, error);
        })
        .finally(() => end());
    });
  }

  on('room:join', async (payload, ack) => {
    const { room_id, since_seq } = joinPayload.parse(payload);
    if (!(await rooms.isMember(room_id, socket.data.actor.agent.id)))
      throw new AppError('forbidden', 403, 'Not a member of this room.');
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

  on('room:leave', (payload, ack) => {
    const { room_id } = leavePayload.parse(payload);
    joins.leave(socket, room_id);
    ack?.({ ok: true });
    return Promise.resolve();
  });

  on('message:send', async (payload, ack) => {
    const input = sendPayload.parse(payload);
    if (!socket.data.rooms.has(input.room_id) && !(await rooms.isMember(input.room_id, socket.data.actor.agent.id))) {
      throw new AppError('forbidden', 403, 'Not a member of this room.');
    }
    const { message, duplicate } = await rooms.send(socket.data.actor, {
      roomId: input.room_id,
      body: input.body,
      clientMsgId: input.client_msg_id,
    });
    ack?.({ ok: true, message: presentMessage(message), duplicate });
  });
}
