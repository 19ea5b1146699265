import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { AppError } from '../lib/errors.js';
import type { UserActor } from '../identity/actor.model.js';
import { tokenNotFound } from '../identity/credentials.errors.js';
import { asPage as pageOrError, signInFirst } from './page-errors.js';
import { agentPage } from './pages/agent.page.js';

const params = z.object({ id: z.uuid() });
const tokenParams = params.extend({ prefix: z.string().min(1).max(40) });
const form = z.object({ _csrf: z.string().max(200).optional() });
const EVENTS_SHOWN = 50;

/** uPlot's dist folder, wherever npm put the package. */
const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot'));

/**
 * /agents/:id — an agent's details, charts, credentials and audit log. Every
 * action is a CSRF-protected form post that works without JavaScript.
 */
export const agentPageRoutes: RouteModule = async (app, ctx) => {
  const { agents, audit, credentials } = ctx.services;
  await app.register(fastifyStatic, {
    root: uplotDist,
    prefix: '/static/vendor/uplot/',
    decorateReply: false,
    maxAge: '1d',
    index: false,
    allowedPath: (path) => path === '/uPlot.iife.min.js' || path === '/uPlot.min.css',
  });

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    actor: UserActor,
    id: string,
    extra: { issued?: { token: string; prefix: string }; error?: string } = {},
  ) {
    const { agent } = await agents.get(id, actor);
    // Credentials are for those who may manage the agent; team viewers see the rest.
    const tokens = await agents.listTokens(id, actor).then(
      (r) => r.tokens,
      (error: unknown) => {
        if (error instanceof AppError && error.statusCode === 403) return undefined;
        throw error;
      },
    );
    const { events } = await audit.list({ subjectType: 'agent', subjectId: agent.id, limit: EVENTS_SHOWN });
    const alertHistory = await ctx.services.alerting.alerts.events(actor, { agent_id: agent.id, limit: EVENTS_SHOWN });
    const page = agentPage({
      user: actor.user,
      csrf: csrfToken(request, reply, ctx.config),
      agent,
      online: agents.isOnline(agent),
      tokens: tokens ?? [],
      canManage: tokens !== undefined,
      events,
      alertEvents: alertHistory.events,
      baseUrl: ctx.config.PUBLIC_URL ?? `${request.protocol}://${request.host}`,
      ...extra,
    });
    return sendHtml(reply, page);
  }

  const asPage = (request: FastifyRequest, reply: FastifyReply, work: (actor: UserActor) => Promise<unknown>) =>
    pageOrError(ctx.config, request, reply, work);

  app.get('/agents/:id', { config: { auth: ['anon'] }, schema: { hide: true, params } }, async (request, reply) => {
    return (
      signInFirst(request, reply) ?? asPage(request, reply, (actor) => render(request, reply, actor, request.params.id))
    );
  });

  app.post(
    '/agents/:id/tokens',
    { config: { auth: ['user'] }, schema: { hide: true, params, body: form } },
    (request, reply) =>
      asPage(request, reply, async (actor) => {
        const { token, credential } = await agents.issueToken(request.params.id, {}, { actor, ip: request.ip });
        return render(request, reply, actor, request.params.id, { issued: { token, prefix: credential.prefix } });
      }),
  );

  app.post(
    '/agents/:id/regenerate',
    { config: { auth: ['user'] }, schema: { hide: true, params, body: form } },
    (request, reply) =>
      asPage(request, reply, async (actor) => {
        const { token, credential } = await agents.regenerateToken(request.params.id, { actor, ip: request.ip });
        return render(request, reply, actor, request.params.id, { issued: { token, prefix: credential.prefix } });
      }),
  );

  app.post(
    '/agents/:id/tokens/:prefix/revoke',
    { config: { auth: ['user'] }, schema: { hide: true, params: tokenParams, body: form } },
    (request, reply) =>
      asPage(request, reply, async (actor) => {
        const { id, prefix } = request.params;
        const { tokens } = await agents.listTokens(id, actor);
        // Only this agent's credentials: a prefix of another agent is "not found" here.
        if (!tokens.some((t) => t.prefix === prefix))
          throw tokenNotFound('This agent has no credential with that prefix.');
        await credentials.revokeByPrefix(prefix, { actor, ip: request.ip });
        return reply.redirect(`/agents/${id}`, 303);
      }),
  );

  app.post(
    '/agents/:id/deactivate',
    { config: { auth: ['user'] }, schema: { hide: true, params, body: form } },
    (request, reply) =>
      asPage(request, reply, async (actor) => {
        await agents.deactivate(request.params.id, { actor, ip: request.ip });
        return reply.redirect(`/agents/${request.params.id}`, 303);
      }),
  );
};
