import fastifyStatic from '@fastify/static';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { staticFolder } from '../lib/paths.js';
import { dashboardPage } from './pages/dashboard.page.js';

/** Static assets, the home redirect and the dashboard. */
export const dashboardPageRoutes: RouteModule = async (app, ctx) => {
  await app.register(fastifyStatic, { root: staticFolder, prefix: '/static/', maxAge: '1h', index: false });

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
      firing: await ctx.services.alerting.alerts.firingCounts(agents.map((a) => a.id)),
    });
    return sendHtml(reply, page);
  });
};
