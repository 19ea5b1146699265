import { sql } from 'drizzle-orm';
import {
  boolean,
  doublePrecision,
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
import { teams } from './teams.js';
import { users } from './users.js';

export const channelKinds = ['webhook', 'email', 'room'] as const;
export const webhookPresets = ['generic', 'slack', 'discord', 'telegram', 'ntfy'] as const;
export const ruleKinds = ['agent_offline', 'metric_threshold', 'no_data'] as const;
export const severities = ['info', 'warning', 'critical'] as const;
export const comparisons = ['>', '>=', '<', '<='] as const;
export const alertStates = ['ok', 'pending', 'firing'] as const;
export const deliveryStatuses = ['pending', 'sending', 'delivered', 'failed'] as const;

export type ChannelKind = (typeof channelKinds)[number];
export type WebhookPreset = (typeof webhookPresets)[number];
export type RuleKind = (typeof ruleKinds)[number];
export type Severity = (typeof severities)[number];
export type Comparison = (typeof comparisons)[number];
export type AlertState = (typeof alertStates)[number];

/** Where notifications go. The secret (webhook HMAC key, Telegram bot token) is stored AES-256-GCM encrypted. */
export const notificationChannels = pgTable(
  'notification_channels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: channelKinds }).notNull(),
    preset: text('preset', { enum: webhookPresets }),
    /** webhook: {url, chat_id?, topic?} · email: {to} · room: {room_id} */
    target: jsonb('target').$type<Record<string, string>>().notNull(),
    secretEnc: text('secret_enc'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('notification_channels_owner_idx').on(t.ownerId), index('notification_channels_team_idx').on(t.teamId)],
);

export interface QuietHours {
  start: string;
  end: string;
  tz: string;
}

export const alertRules = pgTable(
  'alert_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id),
    /** Scope: one agent, else a team's agents, else all of the owner's agents. */
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: ruleKinds }).notNull(),
    path: text('path'),
    comparison: text('comparison', { enum: comparisons }),
    threshold: doublePrecision('threshold'),
    resolveThreshold: doublePrecision('resolve_threshold'),
    forSeconds: integer('for_seconds').notNull(),
    severity: text('severity', { enum: severities }).notNull(),
    enabled: boolean('enabled').notNull().default(true),
    channelIds: jsonb('channel_ids').$type<string[]>().notNull(),
    repeatSeconds: integer('repeat_seconds'),
    quietHours: jsonb('quiet_hours').$type<QuietHours>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('alert_rules_owner_idx').on(t.ownerId), index('alert_rules_team_idx').on(t.teamId)],
);

/** The state of one (rule, agent) pair: ok → pending → firing → ok. */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    state: text('state', { enum: alertStates }).notNull(),
    /** When the current state began. */
    since: timestamp('since', { withTimezone: true }).notNull(),
    value: doublePrecision('value'),
    lastNotifiedAt: timestamp('last_notified_at', { withTimezone: true }),
    acknowledgedBy: uuid('acknowledged_by').references(() => users.id),
    /** Set when an agent (MCP acknowledge_alert) took it rather than a person. */
    acknowledgedByAgent: uuid('acknowledged_by_agent').references(() => agents.id, { onDelete: 'set null' }),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('alerts_rule_agent_unique').on(t.ruleId, t.agentId),
    index('alerts_agent_idx').on(t.agentId),
    index('alerts_state_idx').on(t.state),
  ],
);

/** Every transition, with the value that caused it. */
export const alertEvents = pgTable(
  'alert_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    alertId: uuid('alert_id')
      .notNull()
      .references(() => alerts.id, { onDelete: 'cascade' }),
    ruleId: uuid('rule_id').notNull(),
    agentId: uuid('agent_id').notNull(),
    fromState: text('from_state', { enum: alertStates }).notNull(),
    toState: text('to_state', { enum: alertStates }).notNull(),
    value: doublePrecision('value'),
    /** Why no notification went out (silenced, quiet_hours), or null. */
    suppressed: text('suppressed'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('alert_events_agent_created_idx').on(t.agentId, t.createdAt),
    index('alert_events_rule_created_idx').on(t.ruleId, t.createdAt),
  ],
);

export const silences = pgTable(
  'silences',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id),
    ruleId: uuid('rule_id').references(() => alertRules.id, { onDelete: 'cascade' }),
    agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    until: timestamp('until', { withTimezone: true }).notNull(),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('silences_until_idx').on(t.until)],
);

/** Notifications to deliver, written in the transaction of the transition that caused them. */
export const notificationOutbox = pgTable(
  'notification_outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Sent as X-AgentHub-Delivery: a receiver drops a repeat. */
    idempotencyKey: text('idempotency_key').notNull(),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => notificationChannels.id, { onDelete: 'cascade' }),
    eventId: uuid('event_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: deliveryStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('notification_outbox_key_unique').on(t.idempotencyKey),
    index('notification_outbox_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('pending', 'sending')`),
  ],
);

export type NotificationChannelRow = typeof notificationChannels.$inferSelect;
export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;
export type AlertEventRow = typeof alertEvents.$inferSelect;
export type SilenceRow = typeof silences.$inferSelect;
export type OutboxRow = typeof notificationOutbox.$inferSelect;
