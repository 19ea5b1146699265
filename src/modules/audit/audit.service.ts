import type { FastifyBaseLogger } from 'fastify';
import type { AuditEventRow } from '../../db/schema/index.js';
import { badRequest } from '../../lib/errors.js';
import { actorRef, type Actor } from '../../identity/actor.model.js';
import type { AuditQuery, AuditRepository } from './audit.repository.js';

export interface AuditRecord {
  type: string;
  actor?: Actor | undefined;
  /** Overrides the actor reference (e.g. a failed sign-in has no actor yet). */
  actorType?: 'user' | 'agent' | 'system' | 'anon';
  actorId?: string | null;
  subjectType?: string;
  subjectId?: string | null;
  ip?: string | null | undefined;
  payload?: Record<string, unknown>;
}

/** Records security-relevant events. Never stores secrets: callers pass prefixes and ids only. */
export function createAuditService({ repository, log }: { repository: AuditRepository; log: FastifyBaseLogger }) {
  function toRow(event: AuditRecord) {
    const ref = actorRef(event.actor);
    return {
      type: event.type,
      actorType: event.actorType ?? ref.actorType,
      actorId: event.actorId !== undefined ? event.actorId : ref.actorId,
      subjectType: event.subjectType ?? null,
      subjectId: event.subjectId ?? null,
      ip: event.ip ?? null,
      payload: event.payload ?? {},
    };
  }

  async function record(event: AuditRecord): Promise<void> {
    await repository.insert(toRow(event));
  }

  // High-volume events (message sends) are written once a second in one multi-row insert.
  let batch: ReturnType<typeof toRow>[] = [];
  let timer: NodeJS.Timeout | undefined;
  async function flushBatch(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const rows = batch;
    batch = [];
    await repository
      .insertMany(rows)
      .catch((err: unknown) => log.warn({ err, count: rows.length }, 'audit batch not recorded'));
  }

  return {
    record,
    /** For hot or best-effort paths: the caller does not wait, and a failure is only logged. */
    /** Queued and written with others within a second: for events on hot paths. */
    recordBatched(event: AuditRecord): void {
      batch.push(toRow(event));
      if (batch.length >= 1000) void flushBatch();
      else timer ??= setTimeout(() => void flushBatch(), 1000).unref();
    },

    /** Writes queued events now (graceful shutdown). */
    flush: flushBatch,

    recordInBackground(event: AuditRecord): void {
      record(event).catch((err: unknown) => log.warn({ err, type: event.type }, 'audit event not recorded'));
    },

    async list(query: Omit<AuditQuery, 'before'> & { cursor?: string | undefined }) {
      const before = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await repository.list({ ...query, before, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { events: page, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
    },
  };
}

function encodeCursor(row: AuditEventRow): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const createdAt = new Date(value[0]);
      if (!Number.isNaN(createdAt.getTime()) && /^[0-9a-f-]{36}$/.test(value[1])) return { createdAt, id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw badRequest('The cursor is invalid.', { details: [{ path: 'querystring.cursor', message: 'invalid cursor' }] });
}

export type AuditService = ReturnType<typeof createAuditService>;
