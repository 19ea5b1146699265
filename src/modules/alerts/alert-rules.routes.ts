import { z } from 'zod';
import { userOf } from '../../identity/http/request-actor.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors, idParams } from '../../http/schemas.js';
import {
  createRuleBody,
  createSilenceBody,
  presentRule,
  presentSilence,
  ruleSchema,
  silenceSchema,
  updateRuleBody,
} from './alerts.schemas.js';

export const alertRulesRoutes: RouteModule = (app, ctx) => {
  const { rules } = ctx.services.alerting;
  const people = { auth: ['user' as const] };
  const tags = ['alerts'];

  app.post(
    '/api/v1/alert-rules',
    {
      config: people,
      schema: {
        tags,
        summary: 'Create an alert rule (agent_offline, metric_threshold, no_data)',
        body: createRuleBody,
        response: { 201: z.object({ rule: ruleSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const rule = await rules.create(request.body, userOf(request), request.ip);
      return reply.code(201).send({ rule: presentRule(rule) });
    },
  );

  app.get(
    '/api/v1/alert-rules',
    {
      config: people,
      schema: {
        tags,
        summary: 'Your alert rules and your teams’',
        response: { 200: z.object({ rules: z.array(ruleSchema) }), ...errors(401) },
      },
    },
    async (request) => ({ rules: (await rules.list(userOf(request))).map(presentRule) }),
  );

  app.get(
    '/api/v1/alert-rules/:id',
    {
      config: people,
      schema: {
        tags,
        summary: 'One alert rule',
        params: idParams,
        response: { 200: z.object({ rule: ruleSchema }), ...errors(400, 401, 404) },
      },
    },
    async (request) => ({ rule: presentRule(await rules.load(request.params.id, userOf(request), 'read')) }),
  );

  app.patch(
    '/api/v1/alert-rules/:id',
    {
      config: people,
      schema: {
        tags,
        summary: 'Change an alert rule (enable, disable, thresholds, channels)',
        params: idParams,
        body: updateRuleBody,
        response: { 200: z.object({ rule: ruleSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => ({
      rule: presentRule(await rules.update(request.params.id, request.body, userOf(request), request.ip)),
    }),
  );

  app.delete(
    '/api/v1/alert-rules/:id',
    {
      config: people,
      schema: {
        tags,
        summary: 'Delete an alert rule',
        params: idParams,
        response: { 204: z.null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await rules.remove(request.params.id, userOf(request), request.ip);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/silences',
    {
      config: people,
      schema: {
        tags,
        summary: 'Mute a rule, an agent, or a rule on one agent until a time',
        body: createSilenceBody,
        response: { 201: z.object({ silence: silenceSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const silence = await rules.silence(request.body, userOf(request));
      return reply.code(201).send({ silence: presentSilence(silence) });
    },
  );

  app.get(
    '/api/v1/silences',
    {
      config: people,
      schema: {
        tags,
        summary: 'Your silences still in force',
        response: { 200: z.object({ silences: z.array(silenceSchema) }), ...errors(401) },
      },
    },
    async (request) => ({ silences: (await rules.listSilences(userOf(request))).map(presentSilence) }),
  );

  app.delete(
    '/api/v1/silences/:id',
    {
      config: people,
      schema: {
        tags,
        summary: 'End a silence',
        params: idParams,
        response: { 204: z.null(), ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await rules.unsilence(request.params.id, userOf(request));
      return reply.code(204).send(null);
    },
  );
};
