import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { teams } from './teams.js';
import { users } from './users.js';

export const agentRoles = ['admin', 'agent'] as const;
export const agentStatuses = ['approved', 'inactive', 'revoked', 'replaced'] as const;
export type AgentStatus = (typeof agentStatuses)[number];

export const agents = pgTable(
  'agents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    displayName: text('display_name'),
    serverId: text('server_id'),
    role: text('role', { enum: agentRoles }).notNull().default('agent'),
    status: text('status', { enum: agentStatuses }).notNull().default('approved'),
    deviceInfo: jsonb('device_info').$type<Record<string, unknown>>().notNull().default({}),
    fingerprint: text('fingerprint'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    approvedAt: timestamp('approved_at', { withTimezone: true }),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
    deactivatedAt: timestamp('deactivated_at', { withTimezone: true }),
  },
  (t) => [
    // One active agent per (owner, server_id); replaced/inactive agents keep their history.
    uniqueIndex('agents_owner_server_active_unique')
      .on(t.ownerId, t.serverId)
      .where(sql`${t.status} = 'approved' and ${t.serverId} is not null`),
    index('agents_owner_idx').on(t.ownerId),
    index('agents_team_idx').on(t.teamId),
  ],
);

export type AgentRow = typeof agents.$inferSelect;
