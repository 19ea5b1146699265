import { and, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { auditEvents, type AuditEventRow } from '../../db/schema/index.js';

export type NewAuditEvent = typeof auditEvents.$inferInsert;

export interface AuditQuery {
  type?: string | undefined;
  actorId?: string | undefined;
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset cursor: events strictly older than this (created_at, id). */
  before?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/**
 * Keyset condition "strictly after the cursor row in (created_at desc, id desc) order". It
 * compares with the row's stored created_at: Postgres keeps microseconds, the cursor's ISO
 * time only milliseconds, so comparing with the cursor's time skipped events of the same
 * millisecond. The cursor's own time is the fallback when that row is gone.
 */
function olderThan(before: { createdAt: Date; id: string }): SQL {
  const cursorTime = sql`coalesce((select c.created_at from ${auditEvents} c where c.id = ${before.id}::uuid), ${before.createdAt.toISOString()}::timestamptz)`;
  return sql`(${auditEvents.createdAt}, ${auditEvents.id}) < (${cursorTime}, ${before.id}::uuid)`;
}

export function createAuditRepository({ db }: { db: Db }) {
  return {
    async insert(event: NewAuditEvent): Promise<void> {
      await db.insert(auditEvents).values(event);
    },

    async insertMany(events: NewAuditEvent[]): Promise<void> {
      if (events.length > 0) await db.insert(auditEvents).values(events);
    },

    async list(query: AuditQuery): Promise<AuditEventRow[]> {
      const filters: (SQL | undefined)[] = [
        query.type ? eq(auditEvents.type, query.type) : undefined,
        query.actorId ? eq(auditEvents.actorId, query.actorId) : undefined,
        query.subjectType ? eq(auditEvents.subjectType, query.subjectType) : undefined,
        query.subjectId ? eq(auditEvents.subjectId, query.subjectId) : undefined,
        query.from ? gte(auditEvents.createdAt, query.from) : undefined,
        query.to ? lte(auditEvents.createdAt, query.to) : undefined,
        query.before ? olderThan(query.before) : undefined,
      ];
      return db
        .select()
        .from(auditEvents)
        .where(and(...filters))
        .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
        .limit(query.limit);
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
