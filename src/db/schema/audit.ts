import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const auditEvents = pgTable(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    type: text('type').notNull(),
    actorType: text('actor_type', { enum: ['user', 'agent', 'system', 'anon'] }).notNull(),
    actorId: text('actor_id'),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    ip: text('ip'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('audit_events_type_created_idx').on(t.type, t.createdAt),
    index('audit_events_subject_idx').on(t.subjectType, t.subjectId, t.createdAt),
    index('audit_events_created_idx').on(t.createdAt),
  ],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;
