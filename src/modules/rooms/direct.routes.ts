import { z } from 'zod';
import { actorOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors } from '../../http/schemas.js';
import {
  clientMsgId,
  messageBody,
  messageSchema,
  presentMessage,
  presentRoom,
  replyToSeq,
  roomSchema,
} from './rooms.schemas.js';

const params = z.object({ agent_id: z.uuid() });
const body = z.strictObject({
  body: messageBody,
  client_msg_id: clientMsgId.optional(),
  reply_to_seq: replyToSeq.optional(),
});

/** POST /api/v1/direct/:agent_id/messages: a direct message, into the pair's private room (made on first send). */
export const directRoutes: RouteModule = (app, ctx) => {
  app.post(
    '/api/v1/direct/:agent_id/messages',
    {
      config: { auth: ['user', 'agent'] },
      schema: {
        tags: ['rooms'],
        summary: 'Send a direct message to an agent (its private room with you is created on the first send)',
        params,
        body,
        response: {
          200: z.object({ room: roomSchema, message: messageSchema }),
          201: z.object({ room: roomSchema, message: messageSchema }),
          ...errors(400, 401, 404, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const { room, message, duplicate } = await ctx.services.direct.send(
        actorOf(request),
        {
          agentId: request.params.agent_id,
          body: request.body.body,
          clientMsgId: request.body.client_msg_id,
          replyToSeq: request.body.reply_to_seq,
        },
        request.ip,
      );
      return reply.code(duplicate ? 200 : 201).send({ room: presentRoom(room), message: presentMessage(message) });
    },
  );
};
