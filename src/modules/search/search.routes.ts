import { actorOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors } from '../../http/schemas.js';
import { presentHit, searchPageSchema, searchQuery } from './search.schemas.js';

export const searchRoutes: RouteModule = (app, ctx) => {
  const { search } = ctx.services;

  app.get(
    '/api/v1/search/messages',
    {
      config: { auth: ['user', 'agent'] },
      schema: {
        tags: ['search'],
        summary: 'Full-text search over the messages the caller may read: ranked, with highlighted snippets',
        querystring: searchQuery,
        response: { 200: searchPageSchema, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const query = request.query;
      const { hits, nextCursor, rankedSince } = await search.search(actorOf(request), {
        q: query.q,
        room: query.room_id,
        from: query.from,
        to: query.to,
        cursor: query.cursor,
        limit: query.limit,
      });
      return { results: hits.map(presentHit), next_cursor: nextCursor, ranked_since: rankedSince };
    },
  );
};
