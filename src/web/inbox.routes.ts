import { z } from 'zod';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { asPage, signInFirst } from './page-errors.js';
import { inboxPage } from './pages/inbox.page.js';

const ackForm = z.object({ _csrf: z.string().max(200).optional(), message_id: z.uuid() });

/** /inbox for people: what is addressed to them and not acknowledged; the layout's badge counts it. */
export const inboxPageRoutes: RouteModule = (app, ctx) => {
  const { inbox } = ctx.services;

  app.get('/inbox', { config: { auth: ['anon'] }, schema: { hide: true } }, async (request, reply) => {
    return (
      signInFirst(request, reply) ??
      asPage(ctx.config, request, reply, async (actor) => {
        const page = await inbox.list(actor, { limit: 200 });
        return sendHtml(
          reply,
          inboxPage({
            user: actor.user,
            csrf: csrfToken(request, reply, ctx.config),
            items: page.items,
            pending: page.pending,
          }),
        );
      })
    );
  });

  app.post('/inbox/ack', { config: { auth: ['user'] }, schema: { hide: true, body: ackForm } }, (request, reply) =>
    asPage(ctx.config, request, reply, async (actor) => {
      await inbox.acknowledge(actor, [request.body.message_id]);
      return reply.redirect('/inbox', 303);
    }),
  );
};
