import { actorOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors } from '../../http/schemas.js';
import { ackBody, ackResult, inboxPage, inboxQuery, presentInboxItem } from './inbox.schemas.js';

/** GET /api/v1/inbox and POST /api/v1/inbox/ack: what is addressed to the caller, until it acknowledges it. */
export const inboxRoutes: RouteModule = (app, ctx) => {
  const { inbox } = ctx.services;
  const both = { auth: ['user' as const, 'agent' as const] };

  app.get(
    '/api/v1/inbox',
    {
      config: both,
      schema: {
        tags: ['inbox'],
        summary: 'What is addressed to you (mentions, @room, direct messages) and not acknowledged, oldest first',
        querystring: inboxQuery,
        response: { 200: inboxPage, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const page = await inbox.list(actorOf(request), {
        roomId: request.query.room_id,
        cursor: request.query.cursor,
        limit: request.query.limit,
      });
      return { items: page.items.map(presentInboxItem), next_cursor: page.nextCursor, pending: page.pending };
    },
  );

  app.post(
    '/api/v1/inbox/ack',
    {
      config: both,
      schema: {
        tags: ['inbox'],
        summary: 'Acknowledge inbox items by message id; ids not addressed to you are listed as unknown',
        body: ackBody,
        response: { 200: ackResult, ...errors(400, 401) },
      },
    },
    async (request) => inbox.acknowledge(actorOf(request), request.body.message_ids),
  );
};
