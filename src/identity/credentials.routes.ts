import { z } from 'zod';
import { userOf } from './http/request-actor.js';
import type { RouteModule } from '../http/route-module.js';
import { errors } from '../http/schemas.js';
import { invalidToken } from './credentials.errors.js';

const prefixParams = z.object({ prefix: z.string().regex(/^ag[tr]_[A-Za-z0-9]{6,32}$/, 'not a token prefix') });

export const credentialsRoutes: RouteModule = (app, ctx) => {
  const { credentials } = ctx.services;

  app.post(
    '/api/v1/sessions',
    {
      config: { auth: ['api-token'] },
      schema: {
        tags: ['credentials'],
        summary: 'Exchange an API token (Bearer agt_...) for a 15-minute access JWT',
        security: [{ bearer: [] }],
        response: {
          200: z.object({
            token: z.string(),
            token_type: z.literal('Bearer'),
            expires_at: z.string(),
            expires_in: z.number(),
          }),
          ...errors(401, 429),
        },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      if (actor?.kind !== 'api-token') throw invalidToken('Send Authorization: Bearer agt_... (an API token).');
      const issued = credentials.issueAccessToken(actor, request.ip);
      return reply.header('cache-control', 'no-store').send({
        token: issued.token,
        token_type: 'Bearer' as const,
        expires_at: issued.expiresAt.toISOString(),
        expires_in: issued.expiresIn,
      });
    },
  );

  app.delete(
    '/api/v1/tokens/:prefix',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['credentials'],
        summary: 'Revoke one credential by its prefix',
        params: prefixParams,
        response: { 204: z.null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await credentials.revokeByPrefix(request.params.prefix, { actor: userOf(request), ip: request.ip });
      return reply.code(204).send(null);
    },
  );
};
