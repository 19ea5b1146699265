import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { userOf } from '../identity/http/request-actor.js';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { AppError } from '../lib/errors.js';
import type { UserActor } from '../identity/actor.model.js';
import { linkConfirmPage, linkEntryPage, linkResultPage } from './pages/link.page.js';

const codeForm = z.object({ user_code: z.string().max(40).default(''), _csrf: z.string().max(200).optional() });
const approveForm = codeForm.extend({
  team_id: z.union([z.uuid(), z.literal('')]).optional(),
  replace: z.literal('true').optional(),
});

/** The verification page of RFC 8628 (§3.3): enter or confirm a code, then approve or deny. */
export const linkPageRoutes: RouteModule = (app, ctx) => {
  const { devices, teams } = ctx.services;
  const page = { auth: ['anon' as const] };
  const form = { auth: ['user' as const] };

  async function adminTeams(actor: UserActor) {
    const { teams: list } = await teams.list(actor);
    return list.filter((t) => t.role === 'owner' || t.role === 'admin');
  }

  async function entryWithError(
    request: FastifyRequest,
    reply: FastifyReply,
    actor: UserActor,
    error: AppError,
    userCode: string,
  ) {
    const csrf = csrfToken(request, reply, ctx.config);
    if (error.statusCode === 429) reply.headers(error.headers);
    return sendHtml(reply, linkEntryPage({ user: actor.user, csrf, userCode, error: error.message }), error.statusCode);
  }

  app.get(
    '/link',
    { config: page, schema: { hide: true, querystring: z.object({ user_code: z.string().max(40).optional() }) } },
    (request, reply) => {
      const actor = request.actor;
      if (actor?.kind !== 'user') return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
      return sendHtml(
        reply,
        linkEntryPage({
          user: actor.user,
          csrf: csrfToken(request, reply, ctx.config),
          userCode: request.query.user_code,
        }),
      );
    },
  );

  app.post('/link', { config: form, schema: { hide: true, body: codeForm } }, async (request, reply) => {
    const actor = userOf(request);
    try {
      const { request: pending, conflict, userCode } = await devices.inspect(request.body.user_code, actor, request.ip);
      const csrf = csrfToken(request, reply, ctx.config);
      return await sendHtml(
        reply,
        linkConfirmPage({
          user: actor.user,
          csrf,
          request: pending,
          userCode,
          conflict,
          teams: await adminTeams(actor),
        }),
      );
    } catch (error) {
      if (error instanceof AppError && error.statusCode < 500)
        return await entryWithError(request, reply, actor, error, request.body.user_code);
      throw error;
    }
  });

  app.post('/link/approve', { config: form, schema: { hide: true, body: approveForm } }, async (request, reply) => {
    const actor = userOf(request);
    const body = request.body;
    const csrf = csrfToken(request, reply, ctx.config);
    try {
      const { agent } = await devices.approve(
        { userCode: body.user_code, teamId: body.team_id || undefined, replace: body.replace === 'true' },
        actor,
        request.ip,
      );
      const message = `${agent.displayName ?? agent.name} is linked${agent.serverId ? ` as ${agent.serverId}` : ''}. The device will pick up its credentials in a few seconds.`;
      return await sendHtml(
        reply,
        linkResultPage({ user: actor.user, csrf, title: 'Device approved', message, ok: true }),
      );
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      if (error.code === 'server_id_conflict') {
        const { request: pending, conflict, userCode } = await devices.inspect(body.user_code, actor, request.ip);
        const confirm = linkConfirmPage({
          user: actor.user,
          csrf,
          request: pending,
          userCode,
          conflict,
          teams: await adminTeams(actor),
          error: `${error.message} Tick "Replace the existing agent" to continue.`,
        });
        return sendHtml(reply, confirm, 409);
      }
      if (error.code === 'plan_limit_reached')
        return sendHtml(
          reply,
          linkResultPage({ user: actor.user, csrf, title: 'Plan limit reached', message: error.message, ok: false }),
          403,
        );
      return await entryWithError(request, reply, actor, error, body.user_code);
    }
  });

  app.post('/link/deny', { config: form, schema: { hide: true, body: codeForm } }, async (request, reply) => {
    const actor = userOf(request);
    try {
      await devices.deny(request.body.user_code, actor, request.ip);
      const csrf = csrfToken(request, reply, ctx.config);
      return await sendHtml(
        reply,
        linkResultPage({
          user: actor.user,
          csrf,
          title: 'Device denied',
          message: 'The request was denied. The device cannot use this code again.',
          ok: false,
        }),
      );
    } catch (error) {
      if (error instanceof AppError && error.statusCode < 500)
        return await entryWithError(request, reply, actor, error, request.body.user_code);
      throw error;
    }
  });
};
