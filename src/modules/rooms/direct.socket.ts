import { z } from 'zod';
import type { SocketFeature } from '../../realtime/socket-feature.js';
import { handleEvent } from '../../realtime/socket-handler.js';
import { clientMsgId, messageBody, presentMessage, presentRoom, replyToSeq } from './rooms.schemas.js';

const dmPayload = z.strictObject({
  agent_id: z.uuid(),
  body: messageBody,
  client_msg_id: clientMsgId.optional(),
  reply_to_seq: replyToSeq.optional(),
});

/** `dm:send`: a direct message to an agent of the sender's tenant, as POST /api/v1/direct/:agent_id/messages. */
export const directSockets: SocketFeature = (nsp, ctx) => {
  nsp.on('connection', (socket) => {
    handleEvent(socket, 'dm:send', ctx, async (payload, ack) => {
      const input = dmPayload.parse(payload);
      const { room, message, duplicate } = await ctx.services.direct.send(socket.data.actor, {
        agentId: input.agent_id,
        body: input.body,
        clientMsgId: input.client_msg_id,
        replyToSeq: input.reply_to_seq,
      });
      ack?.({ ok: true, room: presentRoom(room), message: presentMessage(message), duplicate });
    });
  });
  return () => undefined;
};
