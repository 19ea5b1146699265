import { z } from 'zod';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { authorize } from '../identity/access.policy.js';
import { asPage, signInFirst } from './page-errors.js';
import { teamPage, teamsPage } from './pages/teams.page.js';

const params = z.object({ id: z.uuid() });
const memberParams = params.extend({ user_id: z.uuid() });
const csrf = { _csrf: z.string().max(200).optional() };
const createForm = z.object({ ...csrf, name: z.string().trim().min(1).max(100) });
const memberForm = z.object({ ...csrf, email: z.email(), role: z.enum(['viewer', 'member', 'admin']) });
const emptyForm = z.object(csrf);

/** /teams and /teams/:id: the person's teams and their members (404 for people outside a team). */
export const teamPageRoutes: RouteModule = (app, ctx) => {
  const { teams } = ctx.services;
  const page = { config: { auth: ['anon' as const] } };
  const action = { config: { auth: ['user' as const] } };

  app.get('/teams', { ...page, schema: { hide: true } }, async (request, reply) => {
    return (
      signInFirst(request, reply) ??
      asPage(ctx.config, request, reply, async (actor) => {
        const { teams: list } = await teams.list(actor);
        return sendHtml(
          reply,
          teamsPage({ user: actor.user, csrf: csrfToken(request, reply, ctx.config), teams: list }),
        );
      })
    );
  });

  app.post('/teams', { ...action, schema: { hide: true, body: createForm } }, (request, reply) =>
    asPage(ctx.config, request, reply, async (actor) => {
      const { team } = await teams.create(request.body.name, { actor, ip: request.ip });
      return reply.redirect(`/teams/${team.id}`, 303);
    }),
  );

  app.get('/teams/:id', { ...page, schema: { hide: true, params } }, async (request, reply) => {
    return (
      signInFirst(request, reply) ??
      asPage(ctx.config, request, reply, async (actor) => {
        const { team, members } = await teams.get(request.params.id, actor);
        const canManage = authorize(actor, 'manage', { type: 'team', id: team.id });
        const csrf = csrfToken(request, reply, ctx.config);
        return sendHtml(reply, teamPage({ user: actor.user, csrf, team, members, canManage }));
      })
    );
  });

  app.post('/teams/:id/members', { ...action, schema: { hide: true, params, body: memberForm } }, (request, reply) =>
    asPage(ctx.config, request, reply, async (actor) => {
      const { email, role } = request.body;
      await teams.addMember(request.params.id, { email, role }, { actor, ip: request.ip });
      return reply.redirect(`/teams/${request.params.id}`, 303);
    }),
  );

  app.post(
    '/teams/:id/members/:user_id/remove',
    { ...action, schema: { hide: true, params: memberParams, body: emptyForm } },
    (request, reply) =>
      asPage(ctx.config, request, reply, async (actor) => {
        const { id, user_id } = request.params;
        await teams.removeMember(id, user_id, { actor, ip: request.ip });
        return reply.redirect(user_id === actor.user.id ? '/teams' : `/teams/${id}`, 303);
      }),
  );
};
