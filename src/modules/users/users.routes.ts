import { z } from 'zod';
import { userOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors, idParams } from '../../http/schemas.js';
import { createUserBody, presentUser, updateUserBody, userSchema } from './users.schemas.js';

const meResponse = z.union([
  z.object({
    user: z.object({ id: z.string(), email: z.string(), name: z.string(), role: z.string(), plan: z.string() }),
    teams: z.array(z.object({ id: z.string(), name: z.string(), role: z.string() })),
  }),
  z.object({
    agent: z.object({
      id: z.string(),
      name: z.string(),
      server_id: z.string().nullable(),
      role: z.string(),
      owner_id: z.string(),
      team_id: z.string().nullable(),
    }),
  }),
]);

export const usersRoutes: RouteModule = (app, ctx) => {
  const { users, teams } = ctx.services;

  app.get(
    '/api/v1/me',
    {
      config: { auth: ['user', 'agent'] },
      schema: {
        tags: ['people'],
        summary: 'Who am I (person or agent)',
        response: { 200: meResponse, ...errors(401) },
      },
    },
    async (request) => {
      const actor = request.actor;
      if (actor?.kind === 'user') {
        const list = await teams.list(actor);
        return { user: actor.user, teams: list.teams.map((t) => ({ id: t.id, name: t.name, role: t.role })) };
      }
      if (!actor || actor.kind === 'api-token') throw new Error('unreachable: guard admits users and agents only');
      const a = actor.agent;
      return {
        agent: { id: a.id, name: a.name, server_id: a.serverId, role: a.role, owner_id: a.ownerId, team_id: a.teamId },
      };
    },
  );

  app.post(
    '/api/v1/users',
    {
      config: { auth: ['admin'] },
      schema: {
        tags: ['people'],
        summary: 'Create a user (admin)',
        body: createUserBody,
        response: { 201: z.object({ user: userSchema }), ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { user } = await users.create(request.body, { actor: userOf(request), ip: request.ip });
      return reply.code(201).send({ user: presentUser(user) });
    },
  );

  app.get(
    '/api/v1/users',
    {
      config: { auth: ['admin'] },
      schema: {
        tags: ['people'],
        summary: 'List users (admin)',
        response: { 200: z.object({ users: z.array(userSchema) }), ...errors(401, 403) },
      },
    },
    async () => ({ users: (await users.list()).users.map(presentUser) }),
  );

  app.patch(
    '/api/v1/users/:id',
    {
      config: { auth: ['admin'] },
      schema: {
        tags: ['people'],
        summary: 'Update a user (admin)',
        params: idParams,
        body: updateUserBody,
        response: { 200: z.object({ user: userSchema }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { user } = await users.update(request.params.id, request.body, { actor: userOf(request), ip: request.ip });
      return { user: presentUser(user) };
    },
  );
};
