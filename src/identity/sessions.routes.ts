import { z } from 'zod';
import { csrfToken } from './http/csrf.js';
import { safeNext, sendHtml, wantsHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { errors } from '../http/schemas.js';
import { clearSessionCookie, setSessionCookie } from './http/session-cookie.js';
import { AppError, notFound } from '../lib/errors.js';
import { signInPage } from '../web/pages/sign-in.page.js';
import { bootstrapPage, invalidLinkPage, magicLinkPage } from '../web/pages/magic-link.page.js';
import { userSchema, presentUser } from '../modules/users/users.schemas.js';
import {
  bootstrapBody,
  loginBody,
  loginLinkBody,
  loginLinkResponse,
  loginQuery,
  tokenParams,
} from './sessions.schemas.js';

// Per-IP limit on sign-in attempts, on top of the per-account failure limit in the service.
const LOGIN_RATE_LIMIT = { max: 20, timeWindow: 60_000, keyGenerator: (r: { ip: string }) => `login:${r.ip}` };

export const sessionsRoutes: RouteModule = (app, ctx) => {
  const { sessions } = ctx.services;
  const client = (request: { ip: string; headers: { 'user-agent'?: string | undefined } }) => ({
    ip: request.ip,
    userAgent: request.headers['user-agent'],
  });

  app.get(
    '/login',
    { config: { auth: ['anon'] }, schema: { hide: true, querystring: loginQuery } },
    (request, reply) => {
      const next = safeNext(request.query.next);
      if (request.actor?.kind === 'user') return reply.redirect(next, 303);
      return sendHtml(reply, signInPage({ csrf: csrfToken(request, reply, ctx.config), next }));
    },
  );

  app.post(
    '/login',
    {
      config: { auth: ['anon'], rateLimit: LOGIN_RATE_LIMIT },
      schema: {
        tags: ['people'],
        summary: 'Sign in (form or JSON)',
        body: loginBody,
        response: { 200: z.object({ user: userSchema }), ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const form = wantsHtml(request);
      try {
        const session = await sessions.login({
          email: request.body.email,
          password: request.body.password,
          ...client(request),
        });
        setSessionCookie(reply, ctx.config, session);
        if (form) return await reply.redirect(safeNext(request.body.next), 303);
        return { user: presentUser(session.user) };
      } catch (error) {
        if (!form || !(error instanceof AppError)) throw error;
        if (error.statusCode === 429) reply.headers(error.headers);
        const page = signInPage({
          csrf: csrfToken(request, reply, ctx.config),
          next: safeNext(request.body.next),
          email: request.body.email,
          error: error.message,
        });
        return sendHtml(reply, page, error.statusCode);
      }
    },
  );

  app.post(
    '/logout',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['people'],
        summary: 'Sign out (revokes the session)',
        response: { 204: z.null(), ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      if (actor?.kind === 'user') await sessions.logout(actor.sessionId, actor.user.id, request.ip);
      clearSessionCookie(reply, ctx.config);
      if (wantsHtml(request)) return reply.redirect('/login', 303);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/token/:token',
    { config: { auth: ['anon'] }, schema: { hide: true, params: tokenParams } },
    async (request, reply) => {
      // The token is in this page's URL: never leak it through Referer, not even to our own pages. Under
      // no-referrer the page's own form post arrives with `Origin: null`: see opaqueOriginForms below.
      reply.header('referrer-policy', 'no-referrer');
      const purpose = await sessions.inspectLink(request.params.token);
      const csrf = csrfToken(request, reply, ctx.config);
      const action = `/auth/token/${request.params.token}`;
      if (purpose === 'bootstrap') return sendHtml(reply, bootstrapPage({ csrf, action }));
      if (purpose === 'login') return sendHtml(reply, magicLinkPage({ csrf, action }));
      return sendHtml(reply, invalidLinkPage(), 400);
    },
  );

  app.post(
    '/auth/token/:token',
    {
      config: { auth: ['anon'], opaqueOriginForms: true },
      schema: {
        tags: ['people'],
        summary: 'Use a sign-in link (single use)',
        params: tokenParams,
        response: errors(400, 403),
      },
    },
    async (request, reply) => {
      reply.header('referrer-policy', 'no-referrer');
      const token = request.params.token;
      const purpose = await sessions.inspectLink(token);
      try {
        const session =
          purpose === 'bootstrap'
            ? await sessions.completeBootstrap(token, { ...bootstrapBody.parse(request.body), ...client(request) })
            : await sessions.consumeLoginLink(token, client(request));
        setSessionCookie(reply, ctx.config, session);
        return await reply.redirect('/dashboard', 303);
      } catch (error) {
        if (!wantsHtml(request)) throw error;
        if (purpose === 'bootstrap' && error instanceof z.ZodError) {
          const body = request.body as Record<string, string | undefined>;
          const page = bootstrapPage({
            csrf: csrfToken(request, reply, ctx.config),
            action: `/auth/token/${token}`,
            error: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
            email: body['email'],
            name: body['name'],
          });
          return sendHtml(reply, page, 400);
        }
        if (error instanceof AppError && error.statusCode < 500) return sendHtml(reply, invalidLinkPage(), 400);
        throw error;
      }
    },
  );

  app.post(
    '/api/v1/login-links',
    {
      config: { auth: ['admin'] },
      schema: {
        tags: ['people'],
        summary: 'Issue a 5-minute single-use sign-in link',
        body: loginLinkBody,
        response: { 201: loginLinkResponse, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const actorId = request.actor?.kind === 'user' ? request.actor.user.id : null;
      const link = await sessions.issueLoginLink(request.body.email, { actorId, ip: request.ip });
      if (!link) throw notFound('No active user with that email.');
      return reply.code(201).send({ url: link.url, expires_at: link.expiresAt.toISOString() });
    },
  );
};
