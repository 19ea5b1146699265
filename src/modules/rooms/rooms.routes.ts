import { z } from 'zod';
import { actorOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors } from '../../http/schemas.js';
import {
  createRoomBody,
  historyQuery,
  memberParams,
  memberSchema,
  messageSchema,
  presentMessage,
  presentRoom,
  roomParams,
  roomSchema,
  sendBody,
} from './rooms.schemas.js';
import { forbidden } from '../../lib/errors.js';

export const roomsRoutes: RouteModule = (app, ctx) => {
  const { rooms } = ctx.services;
  const both = { auth: ['user' as const, 'agent' as const] };

  app.post(
    '/api/v1/rooms',
    {
      config: both,
      schema: {
        tags: ['rooms'],
        summary: 'Create a room (people and admin agents)',
        body: createRoomBody,
        response: { 201: z.object({ room: roomSchema }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      if (actor.kind !== 'user' && actor.agent.role !== 'admin') throw forbidden('Only admin agents may create rooms.');
      const { room } = await rooms.create(
        actor,
        { slug: request.body.slug, name: request.body.name, teamId: request.body.team_id },
        request.ip,
      );
      return reply.code(201).send({ room: presentRoom(room) });
    },
  );

  app.get(
    '/api/v1/rooms',
    {
      config: both,
      schema: {
        tags: ['rooms'],
        summary: 'Rooms the caller may see (agents: rooms they belong to)',
        response: { 200: z.object({ rooms: z.array(roomSchema) }), ...errors(401) },
      },
    },
    async (request) => ({ rooms: (await rooms.list(actorOf(request))).rooms.map(presentRoom) }),
  );

  app.get(
    '/api/v1/rooms/:id',
    {
      config: both,
      schema: {
        tags: ['rooms'],
        summary: 'A room (by uuid or slug) and its members',
        params: roomParams,
        response: { 200: z.object({ room: roomSchema, members: z.array(memberSchema) }), ...errors(401, 404) },
      },
    },
    async (request) => {
      const { room, members } = await rooms.get(request.params.id, actorOf(request));
      return {
        room: presentRoom(room),
        members: members.map((m) => ({
          agent_id: m.agentId,
          name: m.name,
          display_name: m.displayName,
          server_id: m.serverId,
          joined_at: m.joinedAt.toISOString(),
        })),
      };
    },
  );

  app.post(
    '/api/v1/rooms/:id/archive',
    {
      config: both,
      schema: {
        tags: ['rooms'],
        summary: 'Archive a room (no more messages)',
        params: roomParams,
        response: { 200: z.object({ room: roomSchema }), ...errors(401, 403, 404) },
      },
    },
    async (request) => ({
      room: presentRoom((await rooms.archive(request.params.id, actorOf(request), request.ip)).room),
    }),
  );

  app.post(
    '/api/v1/rooms/:id/members',
    {
      config: both,
      schema: {
        tags: ['rooms'],
        summary: "Add an agent of the room's tenant",
        params: roomParams,
        body: z.object({ agent_id: z.uuid() }),
        response: {
          201: z.object({ room_id: z.string(), agent_id: z.string(), added: z.boolean() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { room, agent, added } = await rooms.addMember(
        request.params.id,
        request.body.agent_id,
        actorOf(request),
        request.ip,
      );
      return reply.code(201).send({ room_id: room.id, agent_id: agent.id, added });
    },
  );

  app.delete(
    '/api/v1/rooms/:id/members/:agent_id',
    {
      config: both,
      schema: {
        tags: ['rooms'],
        summary: 'Remove a member',
        params: memberParams,
        response: { 204: z.null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await rooms.removeMember(request.params.id, request.params.agent_id, actorOf(request), request.ip);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/rooms/:id/messages',
    {
      config: both,
      schema: {
        tags: ['rooms'],
        summary:
          'History: newest first with ?cursor, oldest first with ?after_seq; ?thread=<seq>: a parent and its replies, oldest first',
        params: roomParams,
        querystring: historyQuery,
        response: {
          200: z.object({ messages: z.array(messageSchema), next_cursor: z.string().nullable() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await rooms.history(request.params.id, actorOf(request), {
        cursor: q.cursor,
        afterSeq: q.after_seq,
        thread: q.thread,
        limit: q.limit,
      });
      return { messages: page.messages.map(presentMessage), next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/rooms/:id/messages',
    {
      config: both,
      schema: {
        tags: ['rooms'],
        summary: 'Send a message over HTTP (broadcast like a socket send); people post as themselves',
        params: roomParams,
        body: sendBody,
        response: {
          200: z.object({ message: messageSchema }),
          201: z.object({ message: messageSchema }),
          ...errors(400, 401, 403, 404, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const room = await rooms.loadToPost(request.params.id, actor);
      const { message, duplicate } = await rooms.send(actor, {
        roomId: room.id,
        body: request.body.body,
        clientMsgId: request.body.client_msg_id,
        replyToSeq: request.body.reply_to_seq,
      });
      return reply.code(duplicate ? 200 : 201).send({ message: presentMessage(message) });
    },
  );
};
