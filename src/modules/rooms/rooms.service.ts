import type { Config } from '../../config.js';
import type { MessageRow, RoomRow } from '../../db/schema/index.js';
import type { AppEventBus } from '../../lib/events.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Actor } from '../../identity/actor.model.js';
import { authorize, ensure } from '../../identity/access.policy.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TeamsService } from '../teams/teams.service.js';
import { createMessageBatcher } from './message-batcher.js';
import type { RoomsRepository } from './rooms.repository.js';
import {
  agentOutsideTenant,
  messageTooLarge,
  notAMember,
  roomArchived,
  roomNotFound,
  slugTaken,
} from './rooms.errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Deps {
  config: Config;
  repository: RoomsRepository;
  agents: AgentsService;
  teams: Pick<TeamsService, 'findById'>;
  audit: AuditService;
  events: AppEventBus;
  metrics: Metrics;
}

export const roomResource = (room: RoomRow) => ({
  type: 'room' as const,
  id: room.id,
  ownerId: room.ownerId,
  teamId: room.teamId,
});

/** Sends into one room stored by one statement at most (group commit). */
const SEND_BATCH_MAX = 100;

export function createRoomsService({ config, repository, agents, teams, audit, events, metrics }: Deps) {
  const batcher = createMessageBatcher(repository, { maxBatch: SEND_BATCH_MAX, batchRows: metrics.messageBatchRows });
  /** People read rooms of their tenant; agents read rooms they belong to (admin agents: their tenant's). */
  async function canRead(actor: Actor, room: RoomRow): Promise<boolean> {
    if (actor.kind === 'user') return authorize(actor, 'read', roomResource(room));
    return authorize(actor, 'manage', roomResource(room)) || (await repository.isMember(room.id, actor.agent.id));
  }

  /** By uuid or slug; 404 for rooms the actor may not see. */
  async function load(idOrSlug: string, actor: Actor): Promise<RoomRow> {
    let room: RoomRow | undefined;
    if (UUID.test(idOrSlug)) room = await repository.findById(idOrSlug);
    else if (actor.kind === 'user')
      room = await repository.findBySlug(idOrSlug, [actor.user.id], [...actor.teams.keys()]);
    else
      room = await repository.findBySlug(
        idOrSlug,
        [actor.agent.ownerId],
        actor.agent.teamId ? [actor.agent.teamId] : [],
      );
    if (!room || !(await canRead(actor, room))) throw roomNotFound();
    return room;
  }

  async function ensureCanPost(actor: Actor, room: RoomRow): Promise<void> {
    if (actor.kind === 'user') ensure(actor, 'use', roomResource(room));
    else if (!(await repository.isMember(room.id, actor.agent.id))) throw notAMember();
  }

  return {
    load,
    canRead,

    async create(actor: Actor, input: { slug: string; name: string; teamId?: string | undefined }, ip?: string) {
      let ownerId: string;
      let teamId: string | null = null;
      if (actor.kind === 'user') {
        ownerId = actor.user.id;
        if (input.teamId) {
          const team = await teams.findById(input.teamId);
          if (!team || !authorize(actor, 'read', { type: 'team', id: team.id })) throw roomNotFound('Team not found.');
          ensure(actor, 'use', { type: 'team', id: team.id });
          teamId = team.id;
        }
      } else {
        // An admin agent creates rooms for its own owner and team.
        ownerId = actor.agent.ownerId;
        teamId = actor.agent.teamId;
      }
      const createdBy = actor.kind === 'user' ? actor.user.id : actor.agent.id;
      const room = await repository.insert({ slug: input.slug, name: input.name, ownerId, teamId, createdBy });
      if (!room) throw slugTaken();
      await audit.record({
        type: 'room.created',
        actor,
        subjectType: 'room',
        subjectId: room.id,
        ip,
        payload: { slug: room.slug, team_id: teamId },
      });
      return { room };
    },

    async list(actor: Actor) {
      if (actor.kind === 'user') {
        const scope =
          actor.user.role === 'admin'
            ? ({ all: true } as const)
            : { ownerIds: [actor.user.id], teamIds: [...actor.teams.keys()] };
        return { rooms: await repository.listForTenants(scope) };
      }
      if (actor.agent.role === 'admin') {
        return {
          rooms: await repository.listForTenants({
            ownerIds: [actor.agent.ownerId],
            teamIds: actor.agent.teamId ? [actor.agent.teamId] : [],
          }),
        };
      }
      return { rooms: await repository.listForAgent(actor.agent.id) };
    },

    async get(idOrSlug: string, actor: Actor) {
      const room = await load(idOrSlug, actor);
      return { room, members: await repository.members(room.id) };
    },

    async archive(idOrSlug: string, actor: Actor, ip?: string) {
      const room = await load(idOrSlug, actor);
      ensure(actor, 'manage', roomResource(room));
      const archived = (await repository.archive(room.id, new Date())) ?? room;
      events.emit('room.archived', { roomId: room.id });
      await audit.record({ type: 'room.archived', actor, subjectType: 'room', subjectId: room.id, ip });
      return { room: archived };
    },

    async addMember(idOrSlug: string, agentId: string, actor: Actor, ip?: string) {
      const room = await load(idOrSlug, actor);
      ensure(actor, 'manage', roomResource(room));
      const agent = await agents.load(agentId, actor);
      const sameTenant = agent.ownerId === room.ownerId || (room.teamId !== null && agent.teamId === room.teamId);
      if (!sameTenant) throw agentOutsideTenant();
      const added = await repository.addMember(room.id, agent.id);
      if (added) {
        events.emit('room.member_added', { roomId: room.id, agentId: agent.id });
        await audit.record({
          type: 'room.member_added',
          actor,
          subjectType: 'room',
          subjectId: room.id,
          ip,
          payload: { agent_id: agent.id },
        });
      }
      return { room, agent, added };
    },

    async removeMember(idOrSlug: string, agentId: string, actor: Actor, ip?: string) {
      const room = await load(idOrSlug, actor);
      ensure(actor, 'manage', roomResource(room));
      if (!(await repository.removeMember(room.id, agentId))) throw roomNotFound('Member not found.');
      events.emit('room.member_removed', { roomId: room.id, agentId });
      await audit.record({
        type: 'room.member_removed',
        actor,
        subjectType: 'room',
        subjectId: room.id,
        ip,
        payload: { agent_id: agentId },
      });
    },

    async history(
      idOrSlug: string,
      actor: Actor,
      query: { cursor?: number | undefined; afterSeq?: number | undefined; limit: number },
    ) {
      const room = await load(idOrSlug, actor);
      if (
        actor.kind === 'agent' &&
        !(await repository.isMember(room.id, actor.agent.id)) &&
        !authorize(actor, 'manage', roomResource(room))
      )
        throw notAMember();
      if (query.afterSeq !== undefined) {
        const rows = await repository.after(room.id, query.afterSeq, query.limit);
        return { messages: rows, nextCursor: null, order: 'asc' as const };
      }
      const rows = await repository.history(room.id, query.cursor, query.limit + 1);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        messages: page,
        nextCursor: rows.length > query.limit && last ? String(last.seq) : null,
        order: 'desc' as const,
      };
    },

    /**
     * Stores first (taking the room's next seq), then announces it. A retry with a
     * client_msg_id already stored for this sender and room returns the original,
     * which is not broadcast again. Archived rooms refuse (the statement finds no room).
     */
    async send(
      actor: Actor,
      input: { roomId: string; body: string; clientMsgId?: string | undefined },
    ): Promise<{ message: MessageRow; duplicate: boolean }> {
      if (Buffer.byteLength(input.body, 'utf8') > config.MESSAGE_MAX_BYTES)
        throw messageTooLarge(`A message body is at most ${config.MESSAGE_MAX_BYTES} bytes.`, {
          limit: config.MESSAGE_MAX_BYTES,
        });
      const sender =
        actor.kind === 'user' ? { agentId: null, userId: actor.user.id } : { agentId: actor.agent.id, userId: null };
      const clientMsgId = input.clientMsgId ?? null;
      let message: MessageRow | undefined;
      try {
        // The hot path is one statement per batch; a retried client_msg_id fails its unique index and is looked up.
        message = await batcher.insert({
          roomId: input.roomId,
          senderAgentId: sender.agentId,
          senderUserId: sender.userId,
          body: input.body,
          clientMsgId,
        });
      } catch (error) {
        const existing = clientMsgId
          ? await repository.findByClientMsgId(input.roomId, sender, clientMsgId)
          : undefined;
        if (existing) return { message: existing, duplicate: true };
        throw error;
      }
      if (!message) throw roomArchived();
      metrics.messages.inc({ room_id: input.roomId });
      events.emit('message.created', { message });
      audit.recordBatched({
        type: 'message.sent',
        actor,
        subjectType: 'room',
        subjectId: input.roomId,
        payload: { message_id: message.id, seq: message.seq },
      });
      return { message, duplicate: false };
    },

    /** What an agent missed since `sinceSeq`, unless more than the replay limit. */
    async replay(roomId: string, sinceSeq: number): Promise<{ missed: MessageRow[]; recovered: boolean }> {
      const rows = await repository.after(roomId, sinceSeq, config.ROOM_REPLAY_LIMIT + 1);
      if (rows.length > config.ROOM_REPLAY_LIMIT) return { missed: [], recovered: false };
      return { missed: rows, recovered: true };
    },

    roomsOfAgent: (agentId: string) => repository.listForAgent(agentId),
    isMember: (roomId: string, agentId: string) => repository.isMember(roomId, agentId),
    ensureCanPost,
  };
}

export type RoomsService = ReturnType<typeof createRoomsService>;
