import { z } from 'zod';
import type { AuditEventRow } from '../../db/schema/index.js';
import { timeParam } from '../../http/schemas.js';

export const auditEventSchema = z.object({
  id: z.string(),
  type: z.string(),
  actor_type: z.string(),
  actor_id: z.string().nullable(),
  subject_type: z.string().nullable(),
  subject_id: z.string().nullable(),
  ip: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});

export const auditPageSchema = z.object({ events: z.array(auditEventSchema), next_cursor: z.string().nullable() });

export const auditQuerySchema = z.object({
  type: z.string().max(100).optional(),
  actor_id: z.string().max(100).optional(),
  subject_type: z.string().max(50).optional(),
  subject_id: z.string().max(100).optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function presentAuditEvent(row: AuditEventRow): z.infer<typeof auditEventSchema> {
  return {
    id: row.id,
    type: row.type,
    actor_type: row.actorType,
    actor_id: row.actorId,
    subject_type: row.subjectType,
    subject_id: row.subjectId,
    ip: row.ip,
    payload: row.payload,
    created_at: row.createdAt.toISOString(),
  };
}
