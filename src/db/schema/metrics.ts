import { jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Agent metric snapshots. The migration creates this table range-partitioned
 * by day on `ts` (drizzle-kit cannot express partitioning); see drizzle/0001.
 * No foreign key to agents: partitioned tables keep ingestion cheap and
 * retention drops whole partitions.
 */
export const metricsData = pgTable(
  'metrics_data',
  {
    agentId: uuid('agent_id').notNull(),
    serverId: text('server_id').notNull(),
    ts: timestamp('ts', { withTimezone: true }).notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.ts] })],
);

export type MetricsRow = typeof metricsData.$inferSelect;
