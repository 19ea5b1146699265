import { z } from 'zod';
import { csrfToken } from './http/csrf.js';
import { safeNext, sendHtml, wantsHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { errors } from '../http/schemas.js';
import { clearSessionCookie, setSessionCookie } from './http/session-cookie.js';
import { addressKey } from '../lib/client-address.js';
import { AppError, notFound } from '../lib/errors.js';
import { signInPage } from '../web/pages/sign-in.page.js';
import { userSchema, presentUser } from '../modules/users/users.schemas.js';
import { loginBody, loginLinkBody, loginLinkResponse } from './sessions.schemas.js';

// Per-IP limit on sign-in attempts, on top of the per-account failure limit in the service.
const LOGIN_RATE_LIMIT = {
  max: 20,
  timeWindow: 60_000,
  keyGenerator: (r: { ip: string }) => `login:${addressKey(r.ip)}`,
};

export const sessionsRoutes: RouteModule = (app, ctx) => {
  const { sessions, magicLinks } = ctx.services;
  const client = (request: { ip: string; headers: { 'user-agent'?: string | undefined } }) => ({
    ip: request.ip,
    userAgent: request.headers['user-agent'],
  });

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
      const link = await magicLinks.issueLoginLink(request.body.email, { actorId, ip: request.ip });
      if (!link) throw notFound('No active user with that email.');
      return reply.code(201).send({ url: link.url, expires_at: link.expiresAt.toISOString() });
    },
  );
};
