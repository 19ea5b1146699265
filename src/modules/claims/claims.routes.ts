import { z } from 'zod';
import { actorOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors, errorSchema } from '../../http/schemas.js';
import { roomParams } from '../rooms/rooms.schemas.js';
import { claimBody, claimParams, claimSchema, conflictSchema, presentClaim, renewBody } from './claims.schemas.js';

/** A refused claim: the error envelope with who holds what, and until when. */
const conflictResponse = errorSchema.extend({ conflicts: z.array(conflictSchema).optional() });

/** Claims of a room over REST; the rules are the claims service's (docs/COORDINATION.md#claims). */
export const claimsRoutes: RouteModule = (app, ctx) => {
  const { claims } = ctx.services;
  const both = { auth: ['user' as const, 'agent' as const] };

  app.post(
    '/api/v1/rooms/:id/claims',
    {
      config: both,
      schema: {
        tags: ['claims'],
        summary: 'Claim a resource of the room (exclusive or shared) for ttl_seconds; 409 names who holds it',
        params: roomParams,
        body: claimBody,
        response: { 201: z.object({ claim: claimSchema }), ...errors(400, 401, 403, 404), 409: conflictResponse },
      },
    },
    async (request, reply) => {
      const { resource, mode, ttl_seconds, note } = request.body;
      const { claim } = await claims.claim(actorOf(request), request.params.id, {
        resource,
        mode,
        ttlSeconds: ttl_seconds,
        note,
      });
      return reply.code(201).send({ claim: presentClaim(claim) });
    },
  );

  app.get(
    '/api/v1/rooms/:id/claims',
    {
      config: both,
      schema: {
        tags: ['claims'],
        summary: "The room's live claims, oldest first, with the server's time",
        params: roomParams,
        response: {
          200: z.object({ claims: z.array(claimSchema), server_time: z.string() }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => {
      const { claims: live } = await claims.list(actorOf(request), request.params.id);
      return { claims: live.map(presentClaim), server_time: new Date().toISOString() };
    },
  );

  // PATCH is the REST spelling; POST …/renew is there for clients that only POST.
  for (const [method, url] of [
    ['PATCH', '/api/v1/rooms/:id/claims/:claim_id'],
    ['POST', '/api/v1/rooms/:id/claims/:claim_id/renew'],
  ] as const)
    app.route({
      method,
      url,
      config: both,
      schema: {
        tags: ['claims'],
        summary: 'Renew a live claim (its holder only): it now expires ttl_seconds from now',
        params: claimParams,
        body: renewBody,
        response: { 200: z.object({ claim: claimSchema }), ...errors(400, 401, 403, 404, 409) },
      },
      handler: async (request) => {
        const { claim } = await claims.renew(
          actorOf(request),
          request.params.id,
          request.params.claim_id,
          request.body.ttl_seconds,
        );
        return { claim: presentClaim(claim) };
      },
    });

  app.delete(
    '/api/v1/rooms/:id/claims/:claim_id',
    {
      config: both,
      schema: {
        tags: ['claims'],
        summary: 'Release a claim (its holder, or someone who may manage the room); an ended claim stays ended',
        params: claimParams,
        response: { 204: z.null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await claims.release(actorOf(request), request.params.id, request.params.claim_id);
      return reply.code(204).send(null);
    },
  );
};
