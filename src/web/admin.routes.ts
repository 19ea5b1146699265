import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { userPlans, userRoles } from '../db/schema/index.js';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { notFound } from '../lib/errors.js';
import type { UserActor } from '../identity/actor.model.js';
import { adminPage, allTeamsPage, auditPage } from './pages/admin.page.js';
import { asPage, signInFirst } from './page-errors.js';

const AUDIT_PAGE = 50;
/** An empty filter field of a GET form is "no filter". */
const filter = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => v || undefined);
const auditQuery = z.object({
  type: filter(100),
  actor_id: filter(100),
  subject_type: filter(50),
  subject_id: filter(100),
  cursor: filter(500),
});
const csrf = { _csrf: z.string().max(200).optional() };
const createForm = z.object({
  ...csrf,
  email: z.email(),
  name: z.string().trim().min(1).max(100),
  password: z
    .string()
    .max(200)
    .optional()
    .transform((v) => v || undefined)
    .pipe(z.string().min(10).optional()),
  role: z.enum(userRoles),
  plan: z.enum(userPlans),
});
const updateForm = z.object({
  ...csrf,
  role: z.enum(userRoles),
  plan: z.enum(userPlans),
  disabled: z.enum(['true', 'false']).transform((v) => v === 'true'),
});
const params = z.object({ id: z.uuid() });

/** /admin pages: users, plans, every team and the audit log. People who are not server admins get a 404 page. */
export const adminPageRoutes: RouteModule = (app, ctx) => {
  const { users, audit, teams } = ctx.services;
  const planLimits = {
    free: ctx.config.PLAN_LIMIT_FREE,
    pro: ctx.config.PLAN_LIMIT_PRO,
    enterprise: ctx.config.PLAN_LIMIT_ENTERPRISE,
  };

  /** The page's work for admins only; everyone else is told there is no such page. */
  const adminPageOf =
    (work: (request: FastifyRequest, reply: FastifyReply, actor: UserActor) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) =>
      signInFirst(request, reply) ??
      asPage(ctx.config, request, reply, (actor) => {
        if (actor.user.role !== 'admin') throw notFound('Page not found.');
        return work(request, reply, actor);
      });

  app.get(
    '/admin',
    { config: { auth: ['anon'] }, schema: { hide: true } },
    adminPageOf(async (request, reply, actor) => {
      const { users: list } = await users.list();
      const csrf = csrfToken(request, reply, ctx.config);
      return sendHtml(reply, adminPage({ user: actor.user, csrf, users: list, planLimits }));
    }),
  );

  app.get(
    '/admin/teams',
    { config: { auth: ['anon'] }, schema: { hide: true } },
    adminPageOf(async (request, reply, actor) => {
      const { teams: list } = await teams.listAll(actor);
      const csrf = csrfToken(request, reply, ctx.config);
      return sendHtml(reply, allTeamsPage({ user: actor.user, csrf, teams: list }));
    }),
  );

  app.get(
    '/admin/audit',
    { config: { auth: ['anon'] }, schema: { hide: true, querystring: auditQuery } },
    adminPageOf(async (request, reply, actor) => {
      const filters = auditQuery.parse(request.query);
      const { events, nextCursor } = await audit.list({
        type: filters.type,
        actorId: filters.actor_id,
        subjectType: filters.subject_type,
        subjectId: filters.subject_id,
        cursor: filters.cursor,
        limit: AUDIT_PAGE,
      });
      const csrf = csrfToken(request, reply, ctx.config);
      return sendHtml(reply, auditPage({ user: actor.user, csrf, events, filters, nextCursor }));
    }),
  );

  app.post(
    '/admin/users',
    { config: { auth: ['admin'] }, schema: { hide: true, body: createForm } },
    (request, reply) =>
      asPage(ctx.config, request, reply, async (actor) => {
        const { email, name, password, role, plan } = request.body;
        await users.create({ email, name, password, role, plan }, { actor, ip: request.ip });
        return reply.redirect('/admin', 303);
      }),
  );

  app.post(
    '/admin/users/:id',
    { config: { auth: ['admin'] }, schema: { hide: true, params, body: updateForm } },
    (request, reply) =>
      asPage(ctx.config, request, reply, async (actor) => {
        const { role, plan, disabled } = request.body;
        await users.update(request.params.id, { role, plan, disabled }, { actor, ip: request.ip });
        return reply.redirect('/admin', 303);
      }),
  );
};
