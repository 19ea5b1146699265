import { z } from 'zod';
import { userOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors } from '../../http/schemas.js';
import { approveBody, denyBody, registerBody, statusQuery } from './devices.schemas.js';

const registerResponse = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_url: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number(),
  interval: z.number(),
});

const statusResponse = z.object({
  status: z.string().optional(),
  error: z.string().optional(),
  message: z.string().optional(),
  request_id: z.string().optional(),
  interval: z.number().optional(),
  access_token: z.string().optional(),
  token_type: z.literal('Bearer').optional(),
  expires_in: z.number().optional(),
  refresh_token: z.string().optional(),
  api_token: z.string().optional(),
  agent: z.object({ id: z.string(), server_id: z.string().nullable(), device_name: z.string().nullable() }).optional(),
});

/** The JSON front door of the original (WatchUp) design, and the approval API behind the /link page. */
export const devicesRoutes: RouteModule = (app, ctx) => {
  const { devices } = ctx.services;

  app.post(
    '/api/v1/agents/register',
    {
      config: { auth: ['anon'] },
      schema: {
        tags: ['device linking'],
        summary: 'Start linking a device (JSON)',
        body: registerBody,
        response: { 200: registerResponse, ...errors(400, 429) },
      },
    },
    async (request, reply) => {
      const { device_name, device_info } = request.body;
      const result = await devices.request({
        clientId: 'agenthub-agent',
        deviceName: device_name,
        serverId: device_info.server_id,
        deviceInfo: device_info,
        ip: request.ip,
      });
      return reply.header('cache-control', 'no-store').send({
        device_code: result.deviceCode,
        user_code: result.userCode,
        verification_url: result.verificationUri,
        verification_uri: result.verificationUri,
        verification_uri_complete: result.verificationUriComplete,
        expires_in: result.expiresIn,
        interval: result.interval,
      });
    },
  );

  app.get(
    '/api/v1/agents/status',
    {
      config: { auth: ['anon'] },
      schema: {
        tags: ['device linking'],
        summary: 'Poll a link request (JSON); tokens are returned once',
        querystring: statusQuery,
        response: {
          200: statusResponse,
          403: statusResponse,
          404: statusResponse,
          410: statusResponse,
          429: statusResponse,
          ...errors(400),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const result = await devices.poll(request.query.device_code, { withApiToken: true, ip: request.ip });
      const fail = (code: 403 | 404 | 410 | 429, body: Record<string, unknown>) =>
        reply.code(code).send({ ...body, request_id: request.id });
      switch (result.status) {
        case 'pending':
          return { status: 'pending', interval: result.interval };
        case 'slow_down':
          return fail(429, {
            status: 'pending',
            error: 'slow_down',
            message: `Polling too fast; wait ${result.interval} seconds.`,
            interval: result.interval,
          });
        case 'denied':
          return fail(403, { status: 'denied', error: 'access_denied', message: 'The person denied the request.' });
        case 'expired':
          return fail(410, {
            status: 'expired',
            error: 'expired_token',
            message: 'The request has expired; register again.',
          });
        case 'already_redeemed':
          return fail(410, {
            status: 'redeemed',
            error: 'already_redeemed',
            message: 'These credentials were already delivered.',
          });
        case 'unknown':
          return fail(404, { error: 'not_found', message: 'Unknown device code.' });
        case 'approved': {
          const { tokens, apiToken } = result;
          return {
            status: 'approved',
            access_token: tokens.access.token,
            token_type: 'Bearer' as const,
            expires_in: tokens.access.expiresIn,
            refresh_token: tokens.refreshToken,
            ...(apiToken ? { api_token: apiToken } : {}),
            agent: { id: tokens.agent.id, server_id: tokens.agent.serverId, device_name: tokens.agent.displayName },
          };
        }
      }
    },
  );

  app.post(
    '/api/v1/agent-link/approve',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['device linking'],
        summary: 'Approve a device by its user code (creates the agent)',
        body: approveBody,
        response: {
          200: z.object({
            message: z.string(),
            device_name: z.string().nullable(),
            server_id: z.string().nullable(),
            agent_id: z.string(),
          }),
          ...errors(400, 401, 403, 404, 409, 429),
        },
      },
    },
    async (request) => {
      const { agent } = await devices.approve(
        { userCode: request.body.user_code, teamId: request.body.team_id, replace: request.body.replace },
        userOf(request),
        request.ip,
      );
      return {
        message: 'Device approved successfully',
        device_name: agent.displayName,
        server_id: agent.serverId,
        agent_id: agent.id,
      };
    },
  );

  app.post(
    '/api/v1/agent-link/deny',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['device linking'],
        summary: 'Deny a device by its user code',
        body: denyBody,
        response: { 200: z.object({ message: z.string() }), ...errors(400, 401, 404, 429) },
      },
    },
    async (request) => {
      await devices.deny(request.body.user_code, userOf(request), request.ip);
      return { message: 'Device denied' };
    },
  );
};
