import { and, asc, eq, gt, isNull, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import { messageRecipients, messages, roomMembers, rooms } from '../../db/schema/index.js';

/** Whose inbox: an agent's, or a person's (the agent-and-person direct rooms). */
export type Recipient = { agentId: string } | { userId: string };

/** The position after an item: its row's time (microseconds, as text) and message id. */
export interface InboxCursor {
  at: string;
  messageId: string;
}

export function createInboxRepository({ db }: { db: Db }) {
  /** What is addressed to the recipient, unacknowledged, in rooms it may still read. */
  function pendingOf(recipient: Recipient, roomId?: string): SQL | undefined {
    const mine =
      'agentId' in recipient
        ? and(
            eq(messageRecipients.agentId, recipient.agentId),
            // The read rule: an agent's inbox holds the rooms it is still a member of.
            sql`exists (select 1 from ${roomMembers} where ${roomMembers.roomId} = ${messageRecipients.roomId} and ${roomMembers.agentId} = ${recipient.agentId})`,
          )
        : and(eq(messageRecipients.userId, recipient.userId), eq(rooms.directUserId, recipient.userId));
    return and(
      mine,
      isNull(messageRecipients.acknowledgedAt),
      roomId ? eq(messageRecipients.roomId, roomId) : undefined,
    );
  }

  return {
    /** Oldest first, strictly after the cursor. */
    list: (recipient: Recipient, options: { roomId?: string | undefined; after?: InboxCursor; limit: number }) =>
      db
        .select({
          message: messages,
          room: { id: rooms.id, slug: rooms.slug, name: rooms.name, kind: rooms.kind },
          reason: messageRecipients.reason,
          createdAt: messageRecipients.createdAt,
          deliveredAt: messageRecipients.deliveredAt,
          at: sql<string>`to_char(${messageRecipients.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
        })
        .from(messageRecipients)
        .innerJoin(messages, eq(messages.id, messageRecipients.messageId))
        .innerJoin(rooms, eq(rooms.id, messageRecipients.roomId))
        .where(
          and(
            pendingOf(recipient, options.roomId),
            options.after
              ? sql`(${messageRecipients.createdAt}, ${messageRecipients.messageId}) > (${options.after.at}::timestamptz, ${options.after.messageId}::uuid)`
              : undefined,
          ),
        )
        .orderBy(asc(messageRecipients.createdAt), asc(messageRecipients.messageId))
        .limit(options.limit),

    count: async (recipient: Recipient) =>
      (
        await db
          .select({ n: sql<number>`count(*)::int` })
          .from(messageRecipients)
          .innerJoin(rooms, eq(rooms.id, messageRecipients.roomId))
          .where(pendingOf(recipient))
      )[0]?.n ?? 0,

    /**
     * Acknowledges the recipient's own rows among `messageIds` (once: a second ack keeps the first time) and
     * answers every id that is addressed to it, acknowledged now or before. Others' rows are never touched.
     */
    acknowledge: async (recipient: Recipient, messageIds: string[]): Promise<string[]> => {
      const column = 'agentId' in recipient ? sql`agent_id` : sql`user_id`;
      const who = 'agentId' in recipient ? recipient.agentId : recipient.userId;
      const ids = sql.join(
        messageIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      );
      const rows = await queryRows<{ message_id: string }>(
        db,
        sql`
        with acked as (
          update message_recipients set acknowledged_at = now()
          where ${column} = ${who}::uuid and message_id in (${ids}) and acknowledged_at is null
          returning message_id
        )
        select message_id from message_recipients where ${column} = ${who}::uuid and message_id in (${ids})`,
      );
      return rows.map((r) => r.message_id);
    },

    /** Marks these (message, agent) rows delivered to a live socket, once (the first delivery stays). */
    markDelivered: async (pairs: { messageId: string; agentId: string }[]) => {
      if (pairs.length === 0) return;
      const values = sql.join(
        pairs.map((p) => sql`(${p.messageId}::uuid, ${p.agentId}::uuid)`),
        sql`, `,
      );
      await db.execute(sql`
        update message_recipients r set delivered_at = now()
        from (values ${values}) as v (message_id, agent_id)
        where r.message_id = v.message_id and r.agent_id = v.agent_id and r.delivered_at is null`);
    },

    /** A room's messages addressed to the agent after a seq, oldest first (wait_for_messages mentions_only). */
    addressedAfter: (roomId: string, agentId: string, afterSeq: number, limit: number) =>
      db
        .select({ message: messages })
        .from(messageRecipients)
        .innerJoin(messages, eq(messages.id, messageRecipients.messageId))
        .where(
          and(
            eq(messageRecipients.roomId, roomId),
            eq(messageRecipients.agentId, agentId),
            gt(messageRecipients.seq, afterSeq),
          ),
        )
        .orderBy(asc(messageRecipients.seq))
        .limit(limit)
        .then((rows) => rows.map((r) => r.message)),
  };
}

export type InboxRepository = ReturnType<typeof createInboxRepository>;
