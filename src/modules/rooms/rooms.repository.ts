import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import { agents, messages, roomMembers, rooms, type MessageRow, type RoomRow } from '../../db/schema/index.js';

export type NewRoom = typeof rooms.$inferInsert;

export interface NewMessage {
  roomId: string;
  senderAgentId: string | null;
  senderUserId: string | null;
  body: string;
  clientMsgId: string | null;
}

export function createRoomsRepository({ db }: { db: Db }) {
  return {
    /** Undefined when the owner already has a room with that slug. */
    insert: async (row: NewRoom): Promise<RoomRow | undefined> =>
      (await db.insert(rooms).values(row).onConflictDoNothing().returning())[0],

    findById: async (id: string) => (await db.select().from(rooms).where(eq(rooms.id, id)))[0],

    /** Slugs are unique per owner; among the rooms `scope` allows, the first match. */
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
              ) ?? sql`false`,
            ),
          )
          .limit(1)
      )[0],

    /** Rooms owned by the users or teams given; `all` for server admins. */
    listForTenants: (scope: { all: true } | { ownerIds: string[]; teamIds: string[] }) => {
      let where: SQL | undefined;
      if (!('all' in scope)) {
        where =
          or(
            scope.ownerIds.length ? inArray(rooms.ownerId, scope.ownerIds) : undefined,
            scope.teamIds.length ? inArray(rooms.teamId, scope.teamIds) : undefined,
          ) ?? sql`false`;
      }
      return db.select().from(rooms).where(where).orderBy(asc(rooms.slug));
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
     * One statement takes the room's next seqs and stores the messages, in the
     * order given: the room row lock orders concurrent statements, and a failed
     * insert (a duplicate client_msg_id) rolls the increment back, so seqs stay
     * gap-free. Answers in the input's order; empty when the room is archived.
     */
    insertMessages: async (roomId: string, batch: Omit<NewMessage, 'roomId'>[]): Promise<MessageRow[]> => {
      const values = sql.join(
        batch.map(
          (m, i) =>
            sql`(${i + 1}::int, ${m.senderAgentId}::uuid, ${m.senderUserId}::uuid, ${m.body}::text, ${m.clientMsgId}::text)`,
        ),
        sql`, `,
      );
      const rows = await queryRows<Record<string, unknown>>(
        db,
        sql`
        with next as (
          update rooms set last_seq = last_seq + ${batch.length}::int
          where id = ${roomId} and archived_at is null returning last_seq
        ), input (ord, sender_agent_id, sender_user_id, body, client_msg_id) as (values ${values})
        insert into messages (room_id, seq, sender_agent_id, sender_user_id, body, client_msg_id)
        select ${roomId}, next.last_seq - ${batch.length}::int + input.ord, input.sender_agent_id,
               input.sender_user_id, input.body, input.client_msg_id
        from next cross join input
        returning id, room_id, seq, sender_agent_id, sender_user_id, body, client_msg_id, created_at,
                  reply_to_seq, reply_count, last_reply_at`,
      );
      return rows.map(toMessage).sort((x, y) => x.seq - y.seq);
    },

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

export type RoomsRepository = ReturnType<typeof createRoomsRepository>;
