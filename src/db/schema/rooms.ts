import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { agents } from './agents.js';
import { teams } from './teams.js';
import { users } from './users.js';

export const roomKinds = ['room', 'direct'] as const;
export type RoomKind = (typeof roomKinds)[number];

export const rooms = pgTable(
  'rooms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'set null' }),
    createdBy: uuid('created_by'),
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    /** `direct`: a private conversation of two (docs/COORDINATION.md). */
    kind: text('kind', { enum: roomKinds }).notNull().default('room'),
    /** Sorted participants of a direct room, e.g. `agent:<uuid>|user:<uuid>`. */
    directKey: text('direct_key'),
    /** The person of an agent-and-person direct room (agents take part as members). */
    directUserId: uuid('direct_user_id').references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [
    uniqueIndex('rooms_owner_slug_unique').on(t.ownerId, t.slug),
    index('rooms_team_idx').on(t.teamId),
    uniqueIndex('rooms_direct_key_unique')
      .on(t.directKey)
      .where(sql`${t.directKey} is not null`),
  ],
);

export const roomMembers = pgTable(
  'room_members',
  {
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.agentId] }), index('room_members_agent_idx').on(t.agentId)],
);

export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    senderAgentId: uuid('sender_agent_id').references(() => agents.id, { onDelete: 'set null' }),
    senderUserId: uuid('sender_user_id').references(() => users.id, { onDelete: 'set null' }),
    body: text('body').notNull(),
    clientMsgId: text('client_msg_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** A thread reply: the seq of its parent in the same room. */
    replyToSeq: bigint('reply_to_seq', { mode: 'number' }),
    replyCount: integer('reply_count').notNull().default(0),
    lastReplyAt: timestamp('last_reply_at', { withTimezone: true }),
    // search_vector (tsvector, generated from body, GIN-indexed) exists in the table (migration 0004) but not
    // here: plain selects never read it; the search repository names it in SQL.
  },
  (t) => [
    uniqueIndex('messages_room_seq_unique').on(t.roomId, t.seq),
    index('messages_room_seq_desc_idx').on(t.roomId, t.seq.desc()),
    // Search's newest matches first, walked backwards (migration 0006); id orders messages of the same microsecond.
    index('messages_created_idx').on(t.createdAt, t.id),
    // Retry-safe sends: one stored message per (room, sender, client_msg_id).
    uniqueIndex('messages_agent_client_msg_unique')
      .on(t.roomId, t.senderAgentId, t.clientMsgId)
      .where(sql`${t.clientMsgId} is not null and ${t.senderAgentId} is not null`),
    uniqueIndex('messages_user_client_msg_unique')
      .on(t.roomId, t.senderUserId, t.clientMsgId)
      .where(sql`${t.clientMsgId} is not null and ${t.senderUserId} is not null`),
    // A message has at most one sender (both are null once the sender is deleted).
    check('messages_one_sender', sql`num_nonnulls(${t.senderAgentId}, ${t.senderUserId}) <= 1`),
    index('messages_thread_idx')
      .on(t.roomId, t.replyToSeq, t.seq)
      .where(sql`${t.replyToSeq} is not null`),
  ],
);

export type RoomRow = typeof rooms.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
