import { z } from 'zod';
import { actorOf, userOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors, idParams } from '../../http/schemas.js';
import { auditPageSchema, presentAuditEvent } from '../audit/audit.schemas.js';
import {
  agentSchema,
  createAgentBody,
  issuedTokenSchema,
  issueTokenBody,
  presentAgent,
  presentIssuedToken,
  presentToken,
  serverId,
  tokenSchema,
} from './agents.schemas.js';

const agentResponse = z.object({ agent: agentSchema });

export const agentsRoutes: RouteModule = (app, ctx) => {
  const { agents } = ctx.services;
  const present = (agent: Parameters<typeof presentAgent>[0]) => presentAgent(agent, agents.isOnline(agent));

  app.get(
    '/api/v1/agents',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['agents'],
        summary: 'Agents the caller may see',
        response: { 200: z.object({ agents: z.array(agentSchema) }), ...errors(401) },
      },
    },
    async (request) => ({ agents: (await agents.list(userOf(request))).agents.map(present) }),
  );

  app.post(
    '/api/v1/agents',
    {
      config: { auth: ['admin'] },
      schema: {
        tags: ['agents'],
        summary: 'Create an agent identity (admin)',
        body: createAgentBody,
        response: { 201: agentResponse, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const input = {
        name: b.name,
        displayName: b.display_name,
        role: b.role,
        serverId: b.server_id,
        ownerId: b.owner_id,
        teamId: b.team_id,
      };
      const { agent } = await agents.create(input, { actor: userOf(request), ip: request.ip });
      return reply.code(201).send({ agent: present(agent) });
    },
  );

  app.get(
    '/api/v1/agents/:id',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['agents'],
        summary: 'One agent',
        params: idParams,
        response: { 200: agentResponse, ...errors(401, 404) },
      },
    },
    async (request) => ({ agent: present((await agents.get(request.params.id, userOf(request))).agent) }),
  );

  app.post(
    '/api/v1/agents/:id/deactivate',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['agents'],
        summary: 'Deactivate (credentials stop working at once)',
        params: idParams,
        response: { 200: agentResponse, ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => ({
      agent: present((await agents.deactivate(request.params.id, { actor: userOf(request), ip: request.ip })).agent),
    }),
  );

  app.post(
    '/api/v1/agents/replace',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['agents'],
        summary: 'Mark the active agent with this server_id replaced',
        body: z.object({ server_id: serverId }),
        response: { 200: agentResponse, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => ({
      agent: present((await agents.replace(request.body.server_id, { actor: userOf(request), ip: request.ip })).agent),
    }),
  );

  app.post(
    '/api/v1/agents/:id/tokens',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['credentials'],
        summary: 'Issue an API token (shown once)',
        params: idParams,
        body: issueTokenBody,
        response: { 201: issuedTokenSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const expiresAt = request.body.expires_at ? new Date(request.body.expires_at) : undefined;
      const issued = await agents.issueToken(
        request.params.id,
        { expiresAt, scopes: request.body.scopes },
        { actor: userOf(request), ip: request.ip },
      );
      return reply.code(201).header('cache-control', 'no-store').send(presentIssuedToken(issued));
    },
  );

  app.get(
    '/api/v1/agents/:id/tokens',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['credentials'],
        summary: "An agent's credentials (never their secrets)",
        params: idParams,
        response: { 200: z.object({ tokens: z.array(tokenSchema) }), ...errors(401, 404) },
      },
    },
    async (request) => ({
      tokens: (await agents.listTokens(request.params.id, actorOf(request))).tokens.map(presentToken),
    }),
  );

  app.post(
    '/api/v1/agents/:id/regenerate-token',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['credentials'],
        summary: 'Revoke every credential and issue one new API token',
        params: idParams,
        response: { 201: issuedTokenSchema, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const issued = await agents.regenerateToken(request.params.id, { actor: userOf(request), ip: request.ip });
      return reply.code(201).header('cache-control', 'no-store').send(presentIssuedToken(issued));
    },
  );

  app.get(
    '/api/v1/agents/:id/logs',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['agents'],
        summary: "The agent's audit log, newest first, cursor-paginated",
        params: idParams,
        querystring: z.object({
          cursor: z.string().max(500).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: auditPageSchema, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const { agent } = await agents.get(request.params.id, userOf(request));
      const page = await ctx.services.audit.list({
        subjectType: 'agent',
        subjectId: agent.id,
        cursor: request.query.cursor,
        limit: request.query.limit,
      });
      return { events: page.events.map(presentAuditEvent), next_cursor: page.nextCursor };
    },
  );
};
