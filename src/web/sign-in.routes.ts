import { z } from 'zod';
import { csrfToken } from '../identity/http/csrf.js';
import { setSessionCookie } from '../identity/http/session-cookie.js';
import { bootstrapBody, loginQuery, tokenParams } from '../identity/sessions.schemas.js';
import { safeNext, sendHtml, wantsHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { errors } from '../http/schemas.js';
import { AppError } from '../lib/errors.js';
import { bootstrapPage, invalidLinkPage, magicLinkPage } from './pages/magic-link.page.js';
import { signInPage } from './pages/sign-in.page.js';

/** The sign-in page and the pages behind a magic link; the JSON and form posts of /login live in identity. */
export const signInPageRoutes: RouteModule = (app, ctx) => {
  const { magicLinks } = ctx.services;
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

  app.get(
    '/auth/token/:token',
    { config: { auth: ['anon'] }, schema: { hide: true, params: tokenParams } },
    async (request, reply) => {
      // The token is in this page's URL: never leak it through Referer, not even to our own pages. Under
      // no-referrer the page's own form post arrives with `Origin: null`: see opaqueOriginForms below.
      reply.header('referrer-policy', 'no-referrer');
      const purpose = await magicLinks.inspectLink(request.params.token);
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
      const purpose = await magicLinks.inspectLink(token);
      try {
        const session =
          purpose === 'bootstrap'
            ? await magicLinks.completeBootstrap(token, { ...bootstrapBody.parse(request.body), ...client(request) })
            : await magicLinks.consumeLoginLink(token, client(request));
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
};
