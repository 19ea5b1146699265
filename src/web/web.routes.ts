import fastifyStatic from '@fastify/static';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { staticFolder } from '../lib/paths.js';
import { adminPageRoutes } from './admin.routes.js';
import { agentPageRoutes } from './agent.routes.js';
import { liveEventsRoutes } from './live-events.routes.js';
import { roomPageRoutes } from './rooms.routes.js';
import { teamPageRoutes } from './teams.routes.js';
import { dashboardPage } from './pages/dashboard.page.js';

export const webRoutes: RouteModule = async (app, ctx) => {
  await app.register(fastifyStatic, { root: staticFolder, prefix: '/static/', maxAge: '1h', index: false });
  await liveEventsRoutes(app, ctx);
  await agentPageRoutes(app, ctx);
  await roomPageRoutes(app, ctx);
  await teamPageRoutes(app, ctx);
  await adminPageRoutes(app, ctx);

  app.get('/', { config: { auth: ['anon'] }, schema: { hide: true } }, (request, reply) =>
    reply.redirect(request.actor?.kind === 'user' ? '/dashboard' : '/login', 303),
  );

  app.get('/dashboard', { config: { auth: ['anon'] }, schema: { hide: true } }, async (request, reply) => {
    const actor = request.actor;
    if (actor?.kind !== 'user') return reply.redirect('/login?next=%2Fdashboard', 303);
    const { agents } = await ctx.services.agents.list(actor);
    const page = dashboardPage({
      user: actor.user,
      csrf: csrfToken(request, reply, ctx.config),
      agents,
      isOnline: (a) => ctx.services.agents.isOnline(a),
    });
    return sendHtml(reply, page);
  });
};
