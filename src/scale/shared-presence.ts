import type { Presence } from '../realtime/presence.js';
import type { PresenceAgent } from '../realtime/socket-events.js';
import type { RedisLink } from './redis.js';

/**
 * Presence across instances: each instance keeps its own (diffs are announced
 * where the transition happens) and mirrors it into a Redis sorted set per room,
 * scored by expiry and refreshed by a heartbeat. Snapshots read the union.
 * While Redis is down, snapshots fall back to this instance's view.
 */
export function createSharedPresence(
  local: Presence,
  redis: RedisLink,
  /** An instance that stops refreshing its entries (it died) drops out of presence after this. */
  entryTtlMs: number,
): Presence & { stop(): void } {
  const heartbeatMs = Math.max(100, Math.floor(entryTtlMs / 3));
  const key = (roomId: string) => `${redis.prefix}:presence:${roomId}`;
  const member = (agent: PresenceAgent) => `${redis.instanceId}|${agent.agent_id}|${agent.name}`;
  const mine = new Map<string, Map<string, PresenceAgent>>();
  const ignore = () => undefined;

  const heartbeat = setInterval(() => {
    const expiry = Date.now() + entryTtlMs;
    const pipeline = redis.commands.pipeline();
    for (const [roomId, agents] of mine) {
      for (const agent of agents.values()) pipeline.zadd(key(roomId), expiry, member(agent));
      pipeline.zremrangebyscore(key(roomId), 0, Date.now());
      pipeline.pexpire(key(roomId), entryTtlMs * 2);
    }
    pipeline.exec().catch(ignore);
  }, heartbeatMs);
  heartbeat.unref();

  return {
    join(roomId, agent) {
      const joined = local.join(roomId, agent);
      if (joined) {
        let agents = mine.get(roomId);
        if (!agents) mine.set(roomId, (agents = new Map<string, PresenceAgent>()));
        agents.set(agent.agent_id, agent);
        redis.commands.zadd(key(roomId), Date.now() + entryTtlMs, member(agent)).catch(ignore);
      }
      return joined;
    },
    leave(roomId, agentId) {
      const left = local.leave(roomId, agentId);
      const agent = mine.get(roomId)?.get(agentId);
      if (left && agent) {
        mine.get(roomId)?.delete(agentId);
        if (mine.get(roomId)?.size === 0) mine.delete(roomId);
        redis.commands.zrem(key(roomId), member(agent)).catch(ignore);
      }
      return left;
    },
    async snapshot(roomId) {
      const here = await local.snapshot(roomId);
      try {
        const entries = await redis.commands.zrangebyscore(key(roomId), Date.now(), '+inf');
        const all = new Map(here.map((a) => [a.agent_id, a]));
        for (const entry of entries) {
          const [, agentId, ...name] = entry.split('|');
          if (agentId && !all.has(agentId)) all.set(agentId, { agent_id: agentId, name: name.join('|') });
        }
        return [...all.values()];
      } catch {
        return here;
      }
    },
    activeRooms: () => local.activeRooms(),
    stop() {
      clearInterval(heartbeat);
      const pipeline = redis.commands.pipeline();
      for (const [roomId, agents] of mine)
        for (const agent of agents.values()) pipeline.zrem(key(roomId), member(agent));
      pipeline.exec().catch(ignore);
    },
  };
}
