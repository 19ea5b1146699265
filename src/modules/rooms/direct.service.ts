import { createHash } from 'node:crypto';
import type { AgentRow, RoomRow } from '../../db/schema/index.js';
import type { Actor } from '../../identity/actor.model.js';
import type { AppEventBus } from '../../lib/events.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { ambiguousAgent, directAgentNotFound, directToSelf } from './direct.errors.js';
import type { RoomsRepository } from './rooms.repository.js';
import type { RoomsService } from './rooms.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Deps {
  repository: RoomsRepository;
  rooms: RoomsService;
  agents: Pick<AgentsService, 'loadUnchecked' | 'listReadable'>;
  audit: AuditService;
  events: AppEventBus;
}

/** `agent:<uuid>|agent:<uuid>` or `agent:<uuid>|user:<uuid>`, sorted: the same pair always makes the same key. */
export function directKey(a: string, b: string): string {
  return [a, b].sort().join('|');
}

/** A slug from the key (unique as the key is), within the rooms' slug rules. */
export const directSlug = (key: string) => `dm-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;

/**
 * Direct messages: a private room of two, created on the first send. An agent writes to an agent of its
 * tenant (same owner or same team); a person to an agent they may use (its owner, or a member or admin of
 * its team). Anyone else gets 404, as for an agent they may not know.
 */
export function createDirectService({ repository, rooms, agents, audit, events }: Deps) {
  async function target(actor: Actor, agentId: string): Promise<AgentRow> {
    const agent = UUID.test(agentId)
      ? await agents.loadUnchecked(agentId).then(
          (r) => r.agent,
          () => undefined,
        )
      : undefined;
    if (!agent || agent.status !== 'approved') throw directAgentNotFound();
    if (actor.kind === 'user') {
      const role = agent.teamId ? actor.teams.get(agent.teamId) : undefined;
      if (agent.ownerId !== actor.user.id && (role === undefined || role === 'viewer')) throw directAgentNotFound();
      return agent;
    }
    const me = actor.agent;
    if (agent.id === me.id) throw directToSelf();
    const sameTeam = me.teamId !== null && agent.teamId === me.teamId;
    if (agent.ownerId !== me.ownerId && !sameTeam) throw directAgentNotFound();
    return agent;
  }

  /** The pair's room, created (with both participants) the first time; race-safe through the unique key. */
  async function open(actor: Actor, agent: AgentRow, ip?: string): Promise<RoomRow> {
    const me = actor.kind === 'user' ? `user:${actor.user.id}` : `agent:${actor.agent.id}`;
    const key = directKey(me, `agent:${agent.id}`);
    const found = await repository.findByDirectKey(key);
    if (found) return found;
    const senderName = actor.kind === 'user' ? actor.user.name : actor.agent.name;
    const memberIds = actor.kind === 'user' ? [agent.id] : [actor.agent.id, agent.id];
    const created = await repository.insertDirect({
      directKey: key,
      slug: directSlug(key),
      name: `${senderName} ↔ ${agent.name}`.slice(0, 100),
      ownerId: actor.kind === 'user' ? actor.user.id : actor.agent.ownerId,
      createdBy: actor.kind === 'user' ? actor.user.id : actor.agent.id,
      directUserId: actor.kind === 'user' ? actor.user.id : null,
      memberIds,
    });
    if (!created) {
      const winner = await repository.findByDirectKey(key);
      if (!winner) throw directAgentNotFound();
      return winner;
    }
    // Live sockets of both agents join the new room before its first message is announced.
    for (const agentId of memberIds) events.emit('room.member_added', { roomId: created.id, agentId });
    await audit.record({
      type: 'room.created',
      actor,
      subjectType: 'room',
      subjectId: created.id,
      ip,
      payload: { slug: created.slug, kind: 'direct' },
    });
    return created;
  }

  return {
    /** Sends into the pair's direct room (created on first send); the message addresses the other participant. */
    async send(
      actor: Actor,
      input: { agentId: string; body: string; clientMsgId?: string | undefined; replyToSeq?: number | undefined },
      ip?: string,
    ) {
      rooms.ensureBodyFits(input.body);
      const agent = await target(actor, input.agentId);
      const room = await open(actor, agent, ip);
      await rooms.ensureCanPost(actor, room);
      const { message, duplicate } = await rooms.send(actor, {
        roomId: room.id,
        body: input.body,
        clientMsgId: input.clientMsgId,
        replyToSeq: input.replyToSeq,
      });
      return { room, message, duplicate };
    },

    /** An agent named by id, or by name among the agents the caller may read (MCP callers know names). */
    async resolveAgent(actor: Actor, ref: string): Promise<string> {
      if (UUID.test(ref)) return ref;
      const { agents: readable } = await agents.listReadable(actor);
      const named = readable.filter((a) => a.name === ref.toLowerCase() && a.status === 'approved');
      if (named.length > 1) throw ambiguousAgent();
      const [only] = named;
      if (!only) throw directAgentNotFound();
      return only.id;
    },
  };
}

export type DirectService = ReturnType<typeof createDirectService>;
