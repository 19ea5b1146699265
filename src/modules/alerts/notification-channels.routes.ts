import { z } from 'zod';
import { userOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors, idParams } from '../../http/schemas.js';
import { channelSchema, createChannelBody, presentChannel } from './alerts.schemas.js';

export const notificationChannelsRoutes: RouteModule = (app, ctx) => {
  const { channels } = ctx.services.alerting;
  const people = { auth: ['user' as const] };
  const tags = ['alerts'];

  app.post(
    '/api/v1/notification-channels',
    {
      config: people,
      schema: {
        tags,
        summary: 'Create a notification channel (webhook and presets, email, room); its secret is shown once',
        body: createChannelBody,
        response: {
          201: z.object({ channel: channelSchema, secret: z.string().nullable() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { channel, secret, secretHint } = await channels.create(request.body, userOf(request), request.ip);
      return reply.code(201).send({ channel: presentChannel(channel, secretHint), secret: secret ?? null });
    },
  );

  app.get(
    '/api/v1/notification-channels',
    {
      config: people,
      schema: {
        tags,
        summary: 'Your notification channels and your teams’ (secrets never shown again)',
        response: { 200: z.object({ channels: z.array(channelSchema) }), ...errors(401) },
      },
    },
    async (request) => ({
      channels: (await channels.list(userOf(request))).map((c) => presentChannel(c, channels.hintOf(c))),
    }),
  );

  app.delete(
    '/api/v1/notification-channels/:id',
    {
      config: people,
      schema: {
        tags,
        summary: 'Delete a notification channel',
        params: idParams,
        response: { 204: z.null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await channels.remove(request.params.id, userOf(request), request.ip);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/notification-channels/:id/test',
    {
      config: people,
      schema: {
        tags,
        summary: 'Send a test notification now',
        params: idParams,
        response: {
          200: z.object({ delivered: z.boolean(), error: z.string().nullable() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    (request) => channels.test(request.params.id, userOf(request)),
  );
};
