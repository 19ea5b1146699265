import type { RouteModule } from '../../http/route-module.js';
import { errors } from '../../http/schemas.js';
import { auditPageSchema, auditQuerySchema, presentAuditEvent } from './audit.schemas.js';

export const auditRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/api/v1/audit',
    {
      config: { auth: ['admin'] },
      schema: {
        tags: ['audit'],
        summary: 'Audit events (admins), newest first, cursor-paginated',
        querystring: auditQuerySchema,
        response: { 200: auditPageSchema, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await ctx.services.audit.list({
        type: q.type,
        actorId: q.actor_id,
        subjectType: q.subject_type,
        subjectId: q.subject_id,
        from: q.from,
        to: q.to,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { events: page.events.map(presentAuditEvent), next_cursor: page.nextCursor };
    },
  );
};
