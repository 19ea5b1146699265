import { subscribe } from '../../lib/events.js';
import type { AgentSocket } from '../../realtime/socket-events.js';
import type { SocketFeature } from '../../realtime/socket-feature.js';
import { handleEvent } from '../../realtime/socket-handler.js';
import { ackBody } from './inbox.schemas.js';

/**
 * The inbox over socket.io: `inbox:ack`, the pending count pushed on connect (`inbox:pending`), and the
 * delivery marks: a message addressed to an agent that was emitted to one of its live sockets joined to the
 * room is recorded as delivered (batched, off the send path).
 */
export const inboxSockets: SocketFeature = (nsp, ctx) => {
  const { inbox } = ctx.services;
  const byAgent = new Map<string, Set<AgentSocket>>();

  nsp.on('connection', (socket) => {
    const agentId = socket.data.actor.agent.id;
    const own = byAgent.get(agentId) ?? new Set();
    byAgent.set(agentId, own.add(socket));
    socket.on('disconnect', () => {
      own.delete(socket);
      if (own.size === 0 && byAgent.get(agentId) === own) byAgent.delete(agentId);
    });

    handleEvent(socket, 'inbox:ack', ctx, async (payload, ack) => {
      const { message_ids } = ackBody.parse(payload);
      ack?.({ ok: true, ...(await inbox.acknowledge(socket.data.actor, message_ids)) });
    });

    inbox
      .pendingCount(socket.data.actor)
      .then((pending) => {
        if (socket.connected) socket.emit('inbox:pending', { pending });
      })
      .catch((error: unknown) => ctx.log.warn({ err: error }, 'could not count the inbox of a connecting agent'));
  });

  const unsubscribe = subscribe(ctx.events, {
    'message.created': ({ message, recipients }) => {
      for (const r of recipients ?? []) {
        if (r.agentId === null) continue;
        const sockets = byAgent.get(r.agentId);
        if (sockets && [...sockets].some((s) => s.connected && s.data.rooms.has(message.roomId)))
          inbox.delivered(message.id, r.agentId);
      }
    },
  });
  return unsubscribe;
};
