import { z } from 'zod';
import { userOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors, idParams } from '../../http/schemas.js';
import { alertSchema, alertsQuery, eventSchema, eventsQuery, presentAlert, presentEvent } from './alerts.schemas.js';

export const alertsRoutes: RouteModule = (app, ctx) => {
  const { alerts } = ctx.services.alerting;
  const people = { auth: ['user' as const] };
  const tags = ['alerts'];

  app.get(
    '/api/v1/alerts',
    {
      config: people,
      schema: {
        tags,
        summary: 'Alerts (pending and firing by default), newest first, cursor-paginated',
        querystring: alertsQuery,
        response: {
          200: z.object({ alerts: z.array(alertSchema), next_cursor: z.string().nullable() }),
          ...errors(400, 401),
        },
      },
    },
    async (request) => {
      const page = await alerts.list(userOf(request), request.query);
      return { alerts: page.alerts.map(presentAlert), next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/alerts/:id/acknowledge',
    {
      config: people,
      schema: {
        tags,
        summary: 'Acknowledge a firing alert (stops its repeats until it resolves)',
        params: idParams,
        response: { 200: z.object({ alert: alertSchema }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => ({
      alert: presentAlert(await alerts.acknowledge(request.params.id, userOf(request), request.ip)),
    }),
  );

  app.get(
    '/api/v1/alert-events',
    {
      config: people,
      schema: {
        tags,
        summary: 'Alert history: every state transition with its value, newest first',
        querystring: eventsQuery,
        response: {
          200: z.object({ events: z.array(eventSchema), next_cursor: z.string().nullable() }),
          ...errors(400, 401),
        },
      },
    },
    async (request) => {
      const page = await alerts.events(userOf(request), request.query);
      return { events: page.events.map(presentEvent), next_cursor: page.nextCursor };
    },
  );
};
