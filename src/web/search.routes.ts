import { z } from 'zod';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { AppError } from '../lib/errors.js';
import { asPage, signInFirst } from './page-errors.js';
import { searchPage } from './pages/search.page.js';

const PAGE_SIZE = 20;
// Lenient on purpose: the service says what is wrong with q or the cursor, and the page shows it beside the box.
const query = z.object({
  q: z.string().max(20_000).default(''),
  room_id: z.string().max(64).optional(),
  cursor: z.string().max(1000).optional(),
  /** Only messages before this instant (the "search older messages" link sets it to ranked_since). */
  to: z.string().max(64).optional(),
});

/** /search?q=: the search API's results for the signed-in person, rank-ordered, snippets as escaped text. */
export const searchPageRoutes: RouteModule = (app, ctx) => {
  const { search } = ctx.services;

  app.get(
    '/search',
    { config: { auth: ['anon'] }, schema: { hide: true, querystring: query } },
    async (request, reply) =>
      signInFirst(request, reply) ??
      asPage(ctx.config, request, reply, async (actor) => {
        const { q, room_id: room, cursor, to } = request.query;
        const before = to === undefined ? undefined : new Date(to);
        const base = {
          user: actor.user,
          csrf: csrfToken(request, reply, ctx.config),
          q: q.slice(0, 500),
          room,
          to: before && !Number.isNaN(before.getTime()) ? before.toISOString() : undefined,
        };
        if (before && Number.isNaN(before.getTime()))
          return sendHtml(reply, searchPage({ ...base, error: 'to is not a date and time.' }), 400);
        if (!q.trim() && cursor === undefined) return sendHtml(reply, searchPage(base));
        try {
          const page = await search.search(actor, { q, room, cursor, to: before, limit: PAGE_SIZE });
          return await sendHtml(reply, searchPage({ ...base, ...page }));
        } catch (error) {
          if (!(error instanceof AppError) || error.statusCode !== 400) throw error;
          return sendHtml(reply, searchPage({ ...base, error: error.message }), 400);
        }
      }),
  );
};
