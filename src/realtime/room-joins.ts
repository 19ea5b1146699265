import type { Metrics } from '../observability/metrics.js';
import type { Presence } from './presence.js';
import { roomChannel, type AgentNamespace, type AgentSocket } from './socket-events.js';

/** Joins and leaves of socket.io rooms, kept in step with presence and its diffs. */
export function createRoomJoins({
  nsp,
  presence,
  metrics,
}: {
  nsp: AgentNamespace;
  presence: Presence;
  metrics: Metrics;
}) {
  const agentOf = (socket: AgentSocket) => ({
    agent_id: socket.data.actor.agent.id,
    name: socket.data.actor.agent.name,
  });

  return {
    join(socket: AgentSocket, roomId: string) {
      // A handler that awaited the database may resume after its socket left: its
      // disconnect already cleared its rooms, so a join now would never be undone.
      if (!socket.connected || socket.data.rooms.has(roomId)) return;
      socket.data.rooms.add(roomId);
      void socket.join(roomChannel(roomId));
      const agent = agentOf(socket);
      if (presence.join(roomId, agent))
        nsp.to(roomChannel(roomId)).emit('presence:update', { room_id: roomId, joined: [agent], left: [] });
      metrics.roomsActive.set(presence.activeRooms());
    },

    leave(socket: AgentSocket, roomId: string) {
      if (!socket.data.rooms.delete(roomId)) return;
      void socket.leave(roomChannel(roomId));
      const agent = agentOf(socket);
      if (presence.leave(roomId, agent.agent_id))
        nsp.to(roomChannel(roomId)).emit('presence:update', { room_id: roomId, joined: [], left: [agent] });
      metrics.roomsActive.set(presence.activeRooms());
    },
  };
}

export type RoomJoins = ReturnType<typeof createRoomJoins>;
