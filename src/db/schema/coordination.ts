import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { agents } from './agents.js';
import { messages, rooms } from './rooms.js';
import { users } from './users.js';

export const recipientReasons = ['mention', 'room_mention', 'direct'] as const;
export type RecipientReason = (typeof recipientReasons)[number];
export const claimModes = ['exclusive', 'shared'] as const;
export type ClaimMode = (typeof claimModes)[number];
export const wakeStatuses = ['pending', 'sending', 'delivered', 'failed'] as const;

/**
 * Who a message is addressed to, with its delivery state: stored (the row) → delivered to a socket
 * (`delivered_at`) → acknowledged by the recipient (`acknowledged_at`). Exactly one of agent or user.
 */
export const messageRecipients = pgTable(
  'message_recipients',
  {
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    reason: text('reason', { enum: recipientReasons }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    /** The wake call that covered this message, set once (wake_outbox.id). */
    wakeId: uuid('wake_id'),
  },
  (t) => [
    uniqueIndex('message_recipients_agent_unique')
      .on(t.messageId, t.agentId)
      .where(sql`${t.agentId} is not null`),
    uniqueIndex('message_recipients_user_unique')
      .on(t.messageId, t.userId)
      .where(sql`${t.userId} is not null`),
    index('message_recipients_agent_inbox_idx')
      .on(t.agentId, t.createdAt)
      .where(sql`${t.acknowledgedAt} is null`),
    index('message_recipients_user_inbox_idx')
      .on(t.userId, t.createdAt)
      .where(sql`${t.acknowledgedAt} is null`),
    index('message_recipients_unwoken_idx')
      .on(t.createdAt)
      .where(
        sql`${t.agentId} is not null and ${t.deliveredAt} is null and ${t.acknowledgedAt} is null and ${t.wakeId} is null`,
      ),
    check('message_recipients_reason_check', sql`${t.reason} in ('mention', 'room_mention', 'direct')`),
    check('message_recipients_one_recipient', sql`num_nonnulls(${t.agentId}, ${t.userId}) = 1`),
  ],
);

/** A named resource of a room held until it expires or is released; the room's advisory lock arbitrates. */
export const roomClaims = pgTable(
  'room_claims',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    resource: text('resource').notNull(),
    mode: text('mode', { enum: claimModes }).notNull(),
    holderAgentId: uuid('holder_agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    holderUserId: uuid('holder_user_id').references(() => users.id, { onDelete: 'cascade' }),
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    renewedAt: timestamp('renewed_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    releasedAt: timestamp('released_at', { withTimezone: true }),
  },
  (t) => [
    index('room_claims_active_idx')
      .on(t.roomId, t.expiresAt)
      .where(sql`${t.releasedAt} is null`),
    check('room_claims_mode_check', sql`${t.mode} in ('exclusive', 'shared')`),
    check('room_claims_one_holder', sql`num_nonnulls(${t.holderAgentId}, ${t.holderUserId}) = 1`),
  ],
);

/** An agent's outbound wake webhook. The HMAC secret is stored AES-256-GCM encrypted. */
export const agentWakeHooks = pgTable('agent_wake_hooks', {
  agentId: uuid('agent_id')
    .primaryKey()
    .references(() => agents.id, { onDelete: 'cascade' }),
  url: text('url').notNull(),
  secretEnc: text('secret_enc').notNull(),
  wakeOnRoomMentions: boolean('wake_on_room_mentions').notNull().default(false),
  coalesceSeconds: integer('coalesce_seconds').notNull().default(30),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One row per wake call; the recipients it covers point at it (`message_recipients.wake_id`). */
export const wakeOutbox = pgTable(
  'wake_outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: wakeStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    index('wake_outbox_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('pending', 'sending')`),
    index('wake_outbox_agent_idx').on(t.agentId, t.createdAt),
    check('wake_outbox_status_check', sql`${t.status} in ('pending', 'sending', 'delivered', 'failed')`),
  ],
);

export type MessageRecipientRow = typeof messageRecipients.$inferSelect;
export type RoomClaimRow = typeof roomClaims.$inferSelect;
export type AgentWakeHookRow = typeof agentWakeHooks.$inferSelect;
export type WakeOutboxRow = typeof wakeOutbox.$inferSelect;
