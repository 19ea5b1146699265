import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import {
  agents,
  messageRecipients,
  messages,
  roomMembers,
  rooms,
  type MessageRow,
  type RecipientReason,
  type RoomRow,
} from '../../db/schema/index.js';

export type NewRoom = typeof rooms.$inferInsert;

export interface NewMessage {
  roomId: string;
  senderAgentId: string | null;
  senderUserId: string | null;
  body: string;
  clientMsgId: string | null;
  /** A thread reply: the parent's seq in the same room (checked to exist before). */
  replyToSeq?: number | null;
  /** Agents addressed by mentions; direct rooms add the other participant in the statement itself. */
  addressed?: { agentId: string; reason: 'mention' | 'room_mention' }[];
}

/** A recipient row as the insert statement returns it. */
export interface StoredRecipient {
  agentId: string | null;
  userId: string | null;
  reason: RecipientReason;
}

export type InsertedMessage = MessageRow & { recipients: StoredRecipient[] };

export function createRoomsRepository({ db }: { db: Db }) {
  return {
    /** Undefined when the owner already has a room with that slug. */
    insert: async (row: NewRoom): Promise<RoomRow | undefined> =>
      (await db.insert(rooms).values(row).onConflictDoNothing().returning())[0],

    findById: async (id: string) => (await db.select().from(rooms).where(eq(rooms.id, id)))[0],

    /**
     * Slugs are unique per owner; among the rooms `scope` allows, the first match. A direct room's slug derives
     * from its unique participants' key, so it is found whoever owns it (the caller checks who may read it).
     */
    findBySlug: async (slug: string, ownerIds: string[], teamIds: string[]) =>
      (
        await db
          .select()
          .from(rooms)
          .where(
            and(
              eq(rooms.slug, slug),
              or(
                ownerIds.length ? inArray(rooms.ownerId, ownerIds) : undefined,
                teamIds.length ? inArray(rooms.teamId, teamIds) : undefined,
                eq(rooms.kind, 'direct'),
              ),
            ),
          )
          .orderBy(desc(rooms.kind))
          .limit(1)
      )[0],

    /**
     * Rooms owned by the users or teams given (`all` for server admins), without direct rooms, which only
     * their participants see: those of `directFor` (a person, or an agent as a member) are added.
     */
    listForTenants: (
      scope: { all: true } | { ownerIds: string[]; teamIds: string[] },
      directFor: { userId: string } | { agentId: string },
    ) => {
      const tenant =
        'all' in scope
          ? sql`true`
          : (or(
              scope.ownerIds.length ? inArray(rooms.ownerId, scope.ownerIds) : undefined,
              scope.teamIds.length ? inArray(rooms.teamId, scope.teamIds) : undefined,
            ) ?? sql`false`);
      const ownDirect =
        'userId' in directFor
          ? eq(rooms.directUserId, directFor.userId)
          : sql`exists (select 1 from ${roomMembers} where ${roomMembers.roomId} = ${rooms.id} and ${roomMembers.agentId} = ${directFor.agentId})`;
      const where = or(and(eq(rooms.kind, 'room'), tenant), and(eq(rooms.kind, 'direct'), ownDirect));
      return db.select().from(rooms).where(where).orderBy(asc(rooms.slug));
    },

    findByDirectKey: async (directKey: string) =>
      (await db.select().from(rooms).where(eq(rooms.directKey, directKey)))[0],

    /**
     * A direct room and its member agents in one statement (so a room never lacks its members); nothing when
     * the key exists already (a concurrent first send won: the unique direct_key makes one room).
     */
    insertDirect: async (row: {
      directKey: string;
      slug: string;
      name: string;
      ownerId: string;
      createdBy: string;
      directUserId: string | null;
      memberIds: string[];
    }): Promise<RoomRow | undefined> => {
      const members = sql.join(
        row.memberIds.map((id) => sql`(${id}::uuid)`),
        sql`, `,
      );
      const [created] = await queryRows<{ id: string }>(
        db,
        sql`
        with room as (
          insert into rooms (slug, name, owner_id, created_by, kind, direct_key, direct_user_id)
          values (${row.slug}, ${row.name}, ${row.ownerId}, ${row.createdBy}, 'direct', ${row.directKey},
                  ${row.directUserId}::uuid)
          on conflict do nothing returning id
        ), members as (
          insert into room_members (room_id, agent_id)
          select room.id, m.agent_id from room cross join (values ${members}) as m (agent_id)
        )
        select id from room`,
      );
      return created ? (await db.select().from(rooms).where(eq(rooms.id, created.id)))[0] : undefined;
    },

    listForAgent: (agentId: string) =>
      db
        .select({ room: rooms })
        .from(roomMembers)
        .innerJoin(rooms, eq(rooms.id, roomMembers.roomId))
        .where(eq(roomMembers.agentId, agentId))
        .orderBy(asc(rooms.slug))
        .then((rows) => rows.map((r) => r.room)),

    archive: async (id: string, now: Date) =>
      (
        await db
          .update(rooms)
          .set({ archivedAt: now })
          .where(and(eq(rooms.id, id), isNull(rooms.archivedAt)))
          .returning()
      )[0],

    members: (roomId: string) =>
      db
        .select({
          agentId: agents.id,
          name: agents.name,
          displayName: agents.displayName,
          serverId: agents.serverId,
          joinedAt: roomMembers.joinedAt,
        })
        .from(roomMembers)
        .innerJoin(agents, eq(agents.id, roomMembers.agentId))
        .where(eq(roomMembers.roomId, roomId))
        .orderBy(asc(agents.name)),

    isMember: async (roomId: string, agentId: string) =>
      (
        await db
          .select({ one: sql`1` })
          .from(roomMembers)
          .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.agentId, agentId)))
      ).length > 0,

    addMember: async (roomId: string, agentId: string) =>
      (
        await db
          .insert(roomMembers)
          .values({ roomId, agentId })
          .onConflictDoNothing()
          .returning({ roomId: roomMembers.roomId })
      ).length > 0,

    removeMember: async (roomId: string, agentId: string) =>
      (
        await db
          .delete(roomMembers)
          .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.agentId, agentId)))
          .returning({ roomId: roomMembers.roomId })
      ).length > 0,

    /**
     * One statement takes the room's next seqs, stores the messages in the order given, their recipients (the
     * mentioned members; in a direct room, the other participant) and the parents' reply counts: the room row
     * lock orders concurrent statements, and a failed insert (a duplicate client_msg_id) rolls everything back,
     * so seqs stay gap-free and a committed message always has its recipients. Answers in the input's order;
     * empty when the room is archived.
     */
    insertMessages: async (roomId: string, batch: Omit<NewMessage, 'roomId'>[]): Promise<InsertedMessage[]> => {
      const n = batch.length;
      const values = sql.join(
        batch.map(
          (m, i) =>
            sql`(${i + 1}::int, ${m.senderAgentId}::uuid, ${m.senderUserId}::uuid, ${m.body}::text, ${m.clientMsgId}::text, ${m.replyToSeq ?? null}::bigint)`,
        ),
        sql`, `,
      );
      const addressed = batch.flatMap((m, i) =>
        (m.addressed ?? []).map((a) => sql`(${i + 1}::int, ${a.agentId}::uuid, ${a.reason}::text)`),
      );
      const addressedRows = addressed.length
        ? sql`values ${sql.join(addressed, sql`, `)}`
        : sql`select null::int, null::uuid, null::text where false`;
      const rows = await queryRows<Record<string, unknown>>(
        db,
        sql`
        with next as (
          update rooms set last_seq = last_seq + ${n}::int
          where id = ${roomId} and archived_at is null returning last_seq, kind, direct_user_id
        ), input (ord, sender_agent_id, sender_user_id, body, client_msg_id, reply_to_seq) as (values ${values}),
        addressed (ord, agent_id, reason) as (${addressedRows}),
        inserted as (
          insert into messages (room_id, seq, sender_agent_id, sender_user_id, body, client_msg_id, reply_to_seq)
          select ${roomId}, next.last_seq - ${n}::int + input.ord, input.sender_agent_id,
                 input.sender_user_id, input.body, input.client_msg_id, input.reply_to_seq
          from next cross join input
          returning id, room_id, seq, sender_agent_id, sender_user_id, body, client_msg_id, created_at,
                    reply_to_seq, reply_count, last_reply_at
        ), parents as (
          update messages p set reply_count = p.reply_count + c.replies, last_reply_at = now()
          from (select reply_to_seq, count(*)::int as replies from input cross join next
                where reply_to_seq is not null group by reply_to_seq) c
          where p.room_id = ${roomId} and p.seq = c.reply_to_seq
          returning p.seq
        ), candidates as (
          select i.id, i.seq, rm.agent_id, null::uuid as user_id, 'direct' as reason, 0 as rank
          from inserted i cross join next join room_members rm on rm.room_id = ${roomId}
          where next.kind = 'direct' and rm.agent_id is distinct from i.sender_agent_id
          union all
          select i.id, i.seq, null::uuid, next.direct_user_id, 'direct', 0
          from inserted i cross join next
          where next.kind = 'direct' and next.direct_user_id is not null
            and next.direct_user_id is distinct from i.sender_user_id
          union all
          select i.id, i.seq, a.agent_id, null::uuid, a.reason, 1
          from inserted i cross join next
          join addressed a on i.seq = next.last_seq - ${n}::int + a.ord
          join room_members rm on rm.room_id = ${roomId} and rm.agent_id = a.agent_id
          where a.agent_id is distinct from i.sender_agent_id
        ), recipients as (
          insert into message_recipients (message_id, room_id, seq, agent_id, user_id, reason)
          select distinct on (id, agent_id, user_id) id, ${roomId}::uuid, seq, agent_id, user_id, reason
          from candidates order by id, agent_id, user_id, rank
          returning message_id, agent_id, user_id, reason
        )
        select i.*, coalesce(
                 (select json_agg(json_build_object('agent_id', r.agent_id, 'user_id', r.user_id, 'reason', r.reason))
                  from recipients r where r.message_id = i.id), '[]'::json) as recipients
        from inserted i`,
      );
      return rows
        .map((row) => ({ ...toMessage(row), recipients: toRecipients(row['recipients']) }))
        .sort((x, y) => x.seq - y.seq);
    },

    /** The seq a reply files under (a reply to a reply joins its thread), or undefined when there is no such message. */
    threadRoot: async (roomId: string, seq: number) => {
      const [row] = await db
        .select({ seq: messages.seq, replyToSeq: messages.replyToSeq })
        .from(messages)
        .where(and(eq(messages.roomId, roomId), eq(messages.seq, seq)));
      return row ? (row.replyToSeq ?? row.seq) : undefined;
    },

    /** A thread, oldest first: the parent, then its replies, strictly after `afterSeq`. */
    thread: (roomId: string, parentSeq: number, afterSeq: number, limit: number) =>
      db
        .select()
        .from(messages)
        .where(
          and(
            eq(messages.roomId, roomId),
            gt(messages.seq, afterSeq),
            or(eq(messages.seq, parentSeq), eq(messages.replyToSeq, parentSeq)),
          ),
        )
        .orderBy(asc(messages.seq))
        .limit(limit),

    /** Agents named by mentions in these messages, for presenting them (one query per page). */
    mentionsOf: async (messageIds: string[]) =>
      messageIds.length === 0
        ? []
        : db
            .select({ messageId: messageRecipients.messageId, agentId: agents.id, name: agents.name })
            .from(messageRecipients)
            .innerJoin(agents, eq(agents.id, messageRecipients.agentId))
            .where(and(inArray(messageRecipients.messageId, messageIds), eq(messageRecipients.reason, 'mention')))
            .orderBy(asc(agents.name)),

    findByClientMsgId: async (
      roomId: string,
      sender: { agentId: string | null; userId: string | null },
      clientMsgId: string,
    ) =>
      (
        await db
          .select()
          .from(messages)
          .where(
            and(
              eq(messages.roomId, roomId),
              eq(messages.clientMsgId, clientMsgId),
              sender.agentId
                ? eq(messages.senderAgentId, sender.agentId)
                : eq(messages.senderUserId, sender.userId ?? ''),
            ),
          )
      )[0],

    /** Newest first, strictly before `beforeSeq`: stable under concurrent writes because seqs only grow. */
    history: (roomId: string, beforeSeq: number | undefined, limit: number) =>
      db
        .select()
        .from(messages)
        .where(and(eq(messages.roomId, roomId), beforeSeq !== undefined ? lt(messages.seq, beforeSeq) : undefined))
        .orderBy(desc(messages.seq))
        .limit(limit),

    /** Oldest first, strictly after `afterSeq`. */
    after: (roomId: string, afterSeq: number, limit: number) =>
      db
        .select()
        .from(messages)
        .where(and(eq(messages.roomId, roomId), gt(messages.seq, afterSeq)))
        .orderBy(asc(messages.seq))
        .limit(limit),
  };
}

function toMessage(row: Record<string, unknown>): MessageRow {
  return {
    id: String(row['id']),
    roomId: String(row['room_id']),
    seq: Number(row['seq']),
    senderAgentId: (row['sender_agent_id'] as string | null) ?? null,
    senderUserId: (row['sender_user_id'] as string | null) ?? null,
    body: String(row['body']),
    clientMsgId: (row['client_msg_id'] as string | null) ?? null,
    createdAt: new Date(row['created_at'] as string | Date),
    replyToSeq: row['reply_to_seq'] === null || row['reply_to_seq'] === undefined ? null : Number(row['reply_to_seq']),
    replyCount: Number(row['reply_count'] ?? 0),
    lastReplyAt: row['last_reply_at'] ? new Date(row['last_reply_at'] as string | Date) : null,
  };
}

function toRecipients(value: unknown): StoredRecipient[] {
  const list = (typeof value === 'string' ? JSON.parse(value) : value) as
    { agent_id: string | null; user_id: string | null; reason: RecipientReason }[] | null;
  return (list ?? []).map((r) => ({ agentId: r.agent_id, userId: r.user_id, reason: r.reason }));
}

export type RoomsRepository = ReturnType<typeof createRoomsRepository>;
