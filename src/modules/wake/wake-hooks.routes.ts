import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import { agentOf, userOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors, idParams } from '../../http/schemas.js';
import { presentWakeHook, setWakeHookResponse, wakeHookBody, wakeHookResponse } from './wake-hooks.schemas.js';

/**
 * An agent's wake hook (docs/COORDINATION.md): `/agents/me/wake-hook` for the agent itself,
 * `/agents/:id/wake-hook` for a person who may manage the agent.
 */
export const wakeHooksRoutes: RouteModule = (app, ctx) => {
  const { hooks } = ctx.services.wake;
  const tags = ['wake hooks'];
  const self = (request: FastifyRequest) => {
    const actor = agentOf(request);
    return { id: actor.agent.id, context: { actor, ip: request.ip } };
  };
  const person = (request: FastifyRequest, id: string) => ({ id, context: { actor: userOf(request), ip: request.ip } });

  const setSchema = { tags, body: wakeHookBody, response: { 200: setWakeHookResponse, ...errors(400, 401, 403, 404) } };
  const getSchema = { tags, response: { 200: wakeHookResponse, ...errors(401, 403, 404) } };
  const deleteSchema = { tags, response: { 204: z.null(), ...errors(401, 403, 404) } };

  app.put(
    '/api/v1/agents/me/wake-hook',
    { config: { auth: ['agent'] }, schema: { ...setSchema, summary: 'Set your wake hook; its secret is shown once' } },
    async (request) => {
      const { id, context } = self(request);
      const { hook, secret } = await hooks.set(id, request.body, context);
      return { wake_hook: presentWakeHook(hook), secret };
    },
  );
  app.get(
    '/api/v1/agents/me/wake-hook',
    { config: { auth: ['agent'] }, schema: { ...getSchema, summary: 'Your wake hook (never its secret)' } },
    async (request) => {
      const { id, context } = self(request);
      const { hook } = await hooks.get(id, context.actor);
      return { wake_hook: hook ? presentWakeHook(hook) : null };
    },
  );
  app.delete(
    '/api/v1/agents/me/wake-hook',
    { config: { auth: ['agent'] }, schema: { ...deleteSchema, summary: 'Remove your wake hook' } },
    async (request, reply) => {
      const { id, context } = self(request);
      await hooks.remove(id, context);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/api/v1/agents/:id/wake-hook',
    {
      config: { auth: ['user'] },
      schema: { ...setSchema, params: idParams, summary: 'Set an agent’s wake hook; its secret is shown once' },
    },
    async (request) => {
      const { id, context } = person(request, request.params.id);
      const { hook, secret } = await hooks.set(id, request.body, context);
      return { wake_hook: presentWakeHook(hook), secret };
    },
  );
  app.get(
    '/api/v1/agents/:id/wake-hook',
    { config: { auth: ['user'] }, schema: { ...getSchema, params: idParams, summary: 'An agent’s wake hook' } },
    async (request) => {
      const { id, context } = person(request, request.params.id);
      const { hook } = await hooks.get(id, context.actor);
      return { wake_hook: hook ? presentWakeHook(hook) : null };
    },
  );
  app.delete(
    '/api/v1/agents/:id/wake-hook',
    {
      config: { auth: ['user'] },
      schema: { ...deleteSchema, params: idParams, summary: 'Remove an agent’s wake hook' },
    },
    async (request, reply) => {
      const { id, context } = person(request, request.params.id);
      await hooks.remove(id, context);
      return reply.code(204).send(null);
    },
  );
};
