import type { Config } from '../../config.js';
import type { MessageRow, RoomRow } from '../../db/schema/index.js';
import type { AppEventBus, MessageMention, StoredMessage } from '../../lib/events.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Actor } from '../../identity/actor.model.js';
import { authorize, ensure } from '../../identity/access.policy.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TeamsService } from '../teams/teams.service.js';
import { createMessageBatcher } from './message-batcher.js';
import { mentionTokens, parseMentions } from './mentions.js';
import type { NewMessage, RoomsRepository } from './rooms.repository.js';
import {
  agentOutsideTenant,
  directRoomFixed,
  threadNotFound,
  unknownMention,
  unknownReplyTo,
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
  /** A direct room's two participants: its member agents, and its person (direct_user_id). */
  async function isParticipant(actor: Actor, room: RoomRow): Promise<boolean> {
    if (actor.kind === 'user') return room.directUserId === actor.user.id;
    return repository.isMember(room.id, actor.agent.id);
  }

  /**
   * People read rooms of their tenant; agents read rooms they belong to (admin agents: their tenant's).
   * Direct rooms are private: only their participants read them, whatever their role.
   */
  async function canRead(actor: Actor, room: RoomRow): Promise<boolean> {
    if (room.kind === 'direct') return isParticipant(actor, room);
    if (actor.kind === 'user') return authorize(actor, 'read', roomResource(room));
    return authorize(actor, 'manage', roomResource(room)) || (await repository.isMember(room.id, actor.agent.id));
  }

  /** By uuid or slug, whoever may see it or not. */
  function find(idOrSlug: string, actor: Actor): Promise<RoomRow | undefined> {
    if (UUID.test(idOrSlug)) return repository.findById(idOrSlug);
    if (actor.kind === 'user') return repository.findBySlug(idOrSlug, [actor.user.id], [...actor.teams.keys()]);
    return repository.findBySlug(idOrSlug, [actor.agent.ownerId], actor.agent.teamId ? [actor.agent.teamId] : []);
  }

  /** By uuid or slug; 404 for rooms the actor may not see. */
  async function load(idOrSlug: string, actor: Actor): Promise<RoomRow> {
    const room = await find(idOrSlug, actor);
    if (!room || !(await canRead(actor, room))) throw roomNotFound();
    return room;
  }

  async function ensureCanPost(actor: Actor, room: RoomRow): Promise<void> {
    if (room.kind === 'direct') {
      if (!(await isParticipant(actor, room))) throw roomNotFound();
    } else if (actor.kind === 'user') ensure(actor, 'use', roomResource(room));
    else if (!(await repository.isMember(room.id, actor.agent.id))) throw notAMember();
  }

  /**
   * `load` then `ensureCanPost`, reading an agent's membership once (it decides both: a member reads and posts;
   * an admin agent that is not a member reads, and is told it is not a member).
   */
  async function loadToPost(idOrSlug: string, actor: Actor): Promise<RoomRow> {
    if (actor.kind === 'user') {
      const room = await load(idOrSlug, actor);
      await ensureCanPost(actor, room);
      return room;
    }
    const room = await find(idOrSlug, actor);
    if (!room) throw roomNotFound();
    if (room.kind === 'direct') {
      if (!(await isParticipant(actor, room))) throw roomNotFound();
      return room;
    }
    if (await repository.isMember(room.id, actor.agent.id)) return room;
    if (!authorize(actor, 'manage', roomResource(room))) throw roomNotFound();
    throw notAMember();
  }

  /** The agents a body's mentions address, or a 400 naming who is not a member; none without an `@`. */
  async function addressedBy(roomId: string, body: string, senderAgentId: string | null) {
    if (mentionTokens(body).length === 0) return { addressed: [], mentions: [] };
    const members = await repository.members(roomId);
    const parsed = parseMentions(body, members);
    if (parsed.unknown.length > 0) {
      const names = parsed.unknown.slice(0, 20);
      throw unknownMention(`Not a member of this room: ${names.map((n) => `@${n}`).join(', ')}.`, { names });
    }
    const mentioned = new Set(parsed.mentioned.map((m) => m.agentId));
    const addressed: NonNullable<NewMessage['addressed']> = parsed.mentioned.map((m) => ({
      agentId: m.agentId,
      reason: 'mention' as const,
    }));
    if (parsed.room)
      for (const m of members)
        if (!mentioned.has(m.agentId) && m.agentId !== senderAgentId)
          addressed.push({ agentId: m.agentId, reason: 'room_mention' });
    const mentions: MessageMention[] = parsed.mentioned
      .filter((m) => m.agentId !== senderAgentId)
      .map((m) => ({ agentId: m.agentId, name: m.name }));
    return { addressed, mentions };
  }

  /** Stored messages with the agents they mention, for presenting (one query for the lot). */
  async function withMentions<M extends MessageRow>(rows: M[]): Promise<(M & StoredMessage)[]> {
    const found = await repository.mentionsOf(rows.map((r) => r.id));
    if (found.length === 0) return rows;
    const byMessage = new Map<string, MessageMention[]>();
    for (const f of found)
      byMessage.set(f.messageId, [...(byMessage.get(f.messageId) ?? []), { agentId: f.agentId, name: f.name }]);
    return rows.map((r) => ({ ...r, mentions: byMessage.get(r.id) ?? [] }));
  }

  function ensureBodyFits(body: string): void {
    if (Buffer.byteLength(body, 'utf8') > config.MESSAGE_MAX_BYTES)
      throw messageTooLarge(`A message body is at most ${config.MESSAGE_MAX_BYTES} bytes.`, {
        limit: config.MESSAGE_MAX_BYTES,
      });
  }

  function refuseDirect(room: RoomRow): void {
    if (room.kind === 'direct') throw directRoomFixed();
  }

  return {
    load,
    canRead,
    withMentions,
    ensureBodyFits,

    /** Whether the actor may post into the room (the room page's form). */
    canPost: (actor: Actor, room: RoomRow) =>
      ensureCanPost(actor, room).then(
        () => true,
        () => false,
      ),

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
        return { rooms: await repository.listForTenants(scope, { userId: actor.user.id }) };
      }
      if (actor.agent.role === 'admin') {
        return {
          rooms: await repository.listForTenants(
            { ownerIds: [actor.agent.ownerId], teamIds: actor.agent.teamId ? [actor.agent.teamId] : [] },
            { agentId: actor.agent.id },
          ),
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
      refuseDirect(room);
      const archived = (await repository.archive(room.id, new Date())) ?? room;
      events.emit('room.archived', { roomId: room.id });
      await audit.record({ type: 'room.archived', actor, subjectType: 'room', subjectId: room.id, ip });
      return { room: archived };
    },

    async addMember(idOrSlug: string, agentId: string, actor: Actor, ip?: string) {
      const room = await load(idOrSlug, actor);
      ensure(actor, 'manage', roomResource(room));
      refuseDirect(room);
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
      refuseDirect(room);
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
      query: { cursor?: number | undefined; afterSeq?: number | undefined; thread?: number | undefined; limit: number },
    ) {
      const room = await load(idOrSlug, actor);
      if (
        actor.kind === 'agent' &&
        !(await repository.isMember(room.id, actor.agent.id)) &&
        !authorize(actor, 'manage', roomResource(room))
      )
        throw notAMember();
      if (query.thread !== undefined) {
        if ((await repository.threadRoot(room.id, query.thread)) !== query.thread) throw threadNotFound();
        const after = query.afterSeq ?? query.cursor ?? 0;
        const rows = await repository.thread(room.id, query.thread, after, query.limit + 1);
        const page = rows.slice(0, query.limit);
        const last = page.at(-1);
        return {
          messages: await withMentions(page),
          nextCursor: rows.length > query.limit && last ? String(last.seq) : null,
          order: 'asc' as const,
        };
      }
      if (query.afterSeq !== undefined) {
        const rows = await repository.after(room.id, query.afterSeq, query.limit);
        return { messages: await withMentions(rows), nextCursor: null, order: 'asc' as const };
      }
      const rows = await repository.history(room.id, query.cursor, query.limit + 1);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        messages: await withMentions(page),
        nextCursor: rows.length > query.limit && last ? String(last.seq) : null,
        order: 'desc' as const,
      };
    },

    /**
     * Stores first (taking the room's next seq), then announces it. A retry with a
     * client_msg_id already stored for this sender and room returns the original,
     * which is not broadcast again. Archived rooms refuse (the statement finds no room). Mentions of
     * non-members and replies to no message of the room are refused before anything is stored.
     */
    async send(
      actor: Actor,
      input: { roomId: string; body: string; clientMsgId?: string | undefined; replyToSeq?: number | undefined },
    ): Promise<{ message: StoredMessage; duplicate: boolean }> {
      ensureBodyFits(input.body);
      const sender =
        actor.kind === 'user' ? { agentId: null, userId: actor.user.id } : { agentId: actor.agent.id, userId: null };
      const clientMsgId = input.clientMsgId ?? null;
      let replyToSeq: number | null = null;
      if (input.replyToSeq !== undefined) {
        replyToSeq = (await repository.threadRoot(input.roomId, input.replyToSeq)) ?? null;
        if (replyToSeq === null) throw unknownReplyTo(`No message with seq ${input.replyToSeq} in this room.`);
      }
      const { addressed, mentions } = await addressedBy(input.roomId, input.body, sender.agentId);
      let inserted: Awaited<ReturnType<typeof batcher.insert>>;
      try {
        // The hot path is one statement per batch; a retried client_msg_id fails its unique index and is looked up.
        inserted = await batcher.insert({
          roomId: input.roomId,
          senderAgentId: sender.agentId,
          senderUserId: sender.userId,
          body: input.body,
          clientMsgId,
          replyToSeq,
          addressed,
        });
      } catch (error) {
        const existing = clientMsgId
          ? await repository.findByClientMsgId(input.roomId, sender, clientMsgId)
          : undefined;
        if (existing) return { message: (await withMentions([existing]))[0] ?? existing, duplicate: true };
        throw error;
      }
      if (!inserted) throw roomArchived();
      const { recipients, ...row } = inserted;
      const message: StoredMessage = { ...row, mentions };
      metrics.messages.inc({ room_id: input.roomId });
      events.emit('message.created', { message, recipients });
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
      return { missed: await withMentions(rows), recovered: true };
    },

    roomsOfAgent: (agentId: string) => repository.listForAgent(agentId),
    isMember: (roomId: string, agentId: string) => repository.isMember(roomId, agentId),
    ensureCanPost,
    loadToPost,
  };
}

export type RoomsService = ReturnType<typeof createRoomsService>;
