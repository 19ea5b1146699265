import { z } from 'zod';
import { userOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors, idParams } from '../../http/schemas.js';
import { addMemberBody, createTeamBody, memberParams, memberSchema, teamSchema } from './teams.schemas.js';

export const teamsRoutes: RouteModule = (app, ctx) => {
  const { teams } = ctx.services;

  app.post(
    '/api/v1/teams',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['teams'],
        summary: 'Create a team (caller becomes owner)',
        body: createTeamBody,
        response: { 201: z.object({ team: teamSchema }), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { team, role } = await teams.create(request.body.name, { actor: userOf(request), ip: request.ip });
      return reply.code(201).send({ team: { id: team.id, name: team.name, role } });
    },
  );

  app.get(
    '/api/v1/teams',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['teams'],
        summary: 'Teams the caller belongs to',
        response: { 200: z.object({ teams: z.array(teamSchema) }), ...errors(401) },
      },
    },
    async (request) => ({
      teams: (await teams.list(userOf(request))).teams.map((t) => ({ id: t.id, name: t.name, role: t.role })),
    }),
  );

  app.get(
    '/api/v1/teams/:id',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['teams'],
        summary: 'A team and its members',
        params: idParams,
        response: {
          200: z.object({
            team: z.object({ id: z.string(), name: z.string(), owner_id: z.string() }),
            members: z.array(memberSchema),
          }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => {
      const { team, members } = await teams.get(request.params.id, userOf(request));
      return {
        team: { id: team.id, name: team.name, owner_id: team.ownerId },
        members: members.map((m) => ({ user_id: m.userId, email: m.email, name: m.name, role: m.role })),
      };
    },
  );

  app.post(
    '/api/v1/teams/:id/members',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['teams'],
        summary: 'Add or change a member (team owner/admin)',
        params: idParams,
        body: addMemberBody,
        response: { 201: z.object({ member: memberSchema }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const result = await teams.addMember(request.params.id, request.body, { actor: userOf(request), ip: request.ip });
      return reply.code(201).send(result);
    },
  );

  app.delete(
    '/api/v1/teams/:id/members/:user_id',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['teams'],
        summary: 'Remove a member (team owner/admin, or yourself)',
        params: memberParams,
        response: { 204: z.null(), ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await teams.removeMember(request.params.id, request.params.user_id, { actor: userOf(request), ip: request.ip });
      return reply.code(204).send(null);
    },
  );
};
