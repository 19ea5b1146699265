import type { PresenceAgent } from './socket-events.js';

/**
 * Who is in which room on this instance. An agent is present while at least
 * one of its sockets is joined; only the 0→1 and 1→0 transitions are announced.
 */
export interface Presence {
  /** Returns true when the agent just became present in the room. */
  join(roomId: string, agent: PresenceAgent): boolean;
  /** Returns true when the agent just left the room (its last socket went). */
  leave(roomId: string, agentId: string): boolean;
  snapshot(roomId: string): PresenceAgent[] | Promise<PresenceAgent[]>;
  activeRooms(): number;
}

export function createPresence(): Presence {
  type Members = Map<string, { agent: PresenceAgent; sockets: number }>;
  const rooms = new Map<string, Members>();

  return {
    join(roomId: string, agent: PresenceAgent): boolean {
      let members = rooms.get(roomId);
      if (!members) {
        members = new Map() as Members;
        rooms.set(roomId, members);
      }
      const entry = members.get(agent.agent_id);
      if (entry) {
        entry.sockets++;
        return false;
      }
      members.set(agent.agent_id, { agent, sockets: 1 });
      return true;
    },

    leave(roomId: string, agentId: string): boolean {
      const members = rooms.get(roomId);
      const entry = members?.get(agentId);
      if (!members || !entry) return false;
      if (--entry.sockets > 0) return false;
      members.delete(agentId);
      if (members.size === 0) rooms.delete(roomId);
      return true;
    },

    snapshot: (roomId: string): PresenceAgent[] => [...(rooms.get(roomId)?.values() ?? [])].map((e) => e.agent),
    activeRooms: () => rooms.size,
  };
}
