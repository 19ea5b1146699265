import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { agents } from './agents.js';
import { users } from './users.js';

export const deviceAuthorizationStatuses = ['pending', 'approved', 'denied', 'expired', 'redeemed'] as const;
export type DeviceAuthorizationStatus = (typeof deviceAuthorizationStatuses)[number];

/** A pending link request; the agent row is created only when a person approves it. */
export const deviceAuthorizations = pgTable(
  'device_authorizations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    deviceCodeHash: text('device_code_hash').notNull(),
    userCode: text('user_code').notNull(),
    clientId: text('client_id').notNull(),
    scope: text('scope'),
    deviceName: text('device_name'),
    serverId: text('server_id'),
    deviceInfo: jsonb('device_info').$type<Record<string, unknown>>().notNull().default({}),
    requesterIp: text('requester_ip'),
    status: text('status', { enum: deviceAuthorizationStatuses }).notNull().default('pending'),
    interval: integer('interval').notNull(),
    lastPolledAt: timestamp('last_polled_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    approvedBy: uuid('approved_by').references(() => users.id),
    agentId: uuid('agent_id').references(() => agents.id),
  },
  (t) => [
    uniqueIndex('device_authorizations_device_code_unique').on(t.deviceCodeHash),
    // A user code is unique only while pending, so the small code space is reused safely.
    uniqueIndex('device_authorizations_user_code_pending_unique')
      .on(t.userCode)
      .where(sql`${t.status} = 'pending'`),
    index('device_authorizations_expires_idx').on(t.expiresAt),
  ],
);

export type DeviceAuthorizationRow = typeof deviceAuthorizations.$inferSelect;
