import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { UserActor } from '../identity/actor.model.js';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import type { RouteModule } from '../http/route-module.js';
import { ensureAlerting } from '../modules/alerts/alert-access.js';
import { ruleNotFound } from '../modules/alerts/alerts.errors.js';
import { createChannelBody, createRuleBody, updateRuleBody } from '../modules/alerts/alerts.schemas.js';
import { asPage, signInFirst } from './page-errors.js';
import { alertRulePage, alertsPage, type AlertsPageOptions } from './pages/alerts.page.js';

const params = z.object({ id: z.uuid() });
const text = z.string().max(2000).optional();
/** Form fields arrive as strings (and a repeated checkbox as an array); the API schemas validate the rest. */
const ruleForm = z.object({
  _csrf: text,
  name: text,
  kind: text,
  agent_id: text,
  path: text,
  op: text,
  threshold: text,
  resolve_threshold: text,
  for: text,
  severity: text,
  channel_ids: z.union([z.string().max(100), z.array(z.string().max(100)).max(10)]).optional(),
});
const editForm = z.object({
  _csrf: text,
  name: text,
  threshold: text,
  resolve_threshold: text,
  for: text,
  severity: text,
  enabled: text,
});
const channelForm = z.object({
  _csrf: text,
  name: text,
  kind: text,
  preset: text,
  url: text,
  secret: text,
  chat_id: text,
  to: text,
  room_id: text,
});
const emptyForm = z.object({ _csrf: text });

/** '' means "not given"; a number field that is not a number stays a string, so the API schema refuses it. */
const given = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value.trim());
const numeric = (value: string | undefined) => {
  const v = given(value);
  return v === undefined ? undefined : Number.isNaN(Number(v)) ? v : Number(v);
};
const duration = (value: string | undefined) => {
  const v = given(value);
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : v;
};
const issuesOf = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; ');

/** /alerts: firing alerts, rules and channels, each created and changed with plain forms. */
export const alertsPageRoutes: RouteModule = (app, ctx) => {
  const { alerting, agents, rooms } = ctx.services;
  const page = { config: { auth: ['anon' as const] } };
  const action = { config: { auth: ['user' as const] } };

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    actor: UserActor,
    extra: Pick<AlertsPageOptions, 'issuedSecret' | 'notice' | 'error'> = {},
    status = 200,
  ) {
    const [{ alerts }, rules, channels, { agents: visible }, { rooms: roomList }] = await Promise.all([
      alerting.alerts.list(actor, { state: 'active', limit: 200 }),
      alerting.rules.list(actor),
      alerting.channels.list(actor),
      agents.list(actor),
      rooms.list(actor),
    ]);
    const html = alertsPage({
      user: actor.user,
      csrf: csrfToken(request, reply, ctx.config),
      alerts,
      rules,
      channels: channels.map((channel) => ({ channel, hint: alerting.channels.hintOf(channel) })),
      agents: visible,
      rooms: roomList.filter((r) => r.archivedAt === null),
      ...extra,
    });
    return sendHtml(reply, html, status);
  }

  app.get('/alerts', { ...page, schema: { hide: true } }, (request, reply) => {
    return signInFirst(request, reply) ?? asPage(ctx.config, request, reply, (actor) => render(request, reply, actor));
  });

  app.post('/alerts/rules', { ...action, schema: { hide: true, body: ruleForm } }, (request, reply) =>
    asPage(ctx.config, request, reply, async (actor) => {
      const f = request.body;
      const ids = f.channel_ids === undefined ? [] : Array.isArray(f.channel_ids) ? f.channel_ids : [f.channel_ids];
      const parsed = createRuleBody.safeParse({
        name: given(f.name),
        kind: given(f.kind),
        ...(given(f.agent_id) ? { agent_id: given(f.agent_id) } : {}),
        ...(f.kind !== 'agent_offline' && given(f.path) ? { path: given(f.path) } : {}),
        ...(f.kind === 'metric_threshold'
          ? { op: given(f.op), threshold: numeric(f.threshold), resolve_threshold: numeric(f.resolve_threshold) }
          : {}),
        for: duration(f.for),
        severity: given(f.severity),
        channel_ids: ids,
      });
      if (!parsed.success) return render(request, reply, actor, { error: issuesOf(parsed.error) }, 400);
      await alerting.rules.create(parsed.data, actor, request.ip);
      return reply.redirect('/alerts', 303);
    }),
  );

  app.get('/alerts/rules/:id', { ...page, schema: { hide: true, params } }, (request, reply) => {
    return (
      signInFirst(request, reply) ??
      asPage(ctx.config, request, reply, async (actor) => {
        const rule = await alerting.rules.load(request.params.id, actor, 'read');
        let canManage = true;
        try {
          ensureAlerting(actor, 'manage', rule, () => ruleNotFound());
        } catch {
          canManage = false;
        }
        return sendHtml(
          reply,
          alertRulePage({ user: actor.user, csrf: csrfToken(request, reply, ctx.config), rule, canManage }),
        );
      })
    );
  });

  app.post('/alerts/rules/:id', { ...action, schema: { hide: true, params, body: editForm } }, (request, reply) =>
    asPage(ctx.config, request, reply, async (actor) => {
      const f = request.body;
      const rule = await alerting.rules.load(request.params.id, actor, 'manage');
      const parsed = updateRuleBody.safeParse({
        name: given(f.name),
        ...(rule.kind === 'metric_threshold'
          ? { threshold: numeric(f.threshold), resolve_threshold: numeric(f.resolve_threshold) ?? null }
          : {}),
        for: duration(f.for),
        severity: given(f.severity),
        enabled: f.enabled === 'true',
      });
      if (!parsed.success) {
        const csrf = csrfToken(request, reply, ctx.config);
        return sendHtml(
          reply,
          alertRulePage({ user: actor.user, csrf, rule, canManage: true, error: issuesOf(parsed.error) }),
          400,
        );
      }
      await alerting.rules.update(rule.id, parsed.data, actor, request.ip);
      return reply.redirect(`/alerts/rules/${rule.id}`, 303);
    }),
  );

  app.post(
    '/alerts/rules/:id/delete',
    { ...action, schema: { hide: true, params, body: emptyForm } },
    (request, reply) =>
      asPage(ctx.config, request, reply, async (actor) => {
        await alerting.rules.remove(request.params.id, actor, request.ip);
        return reply.redirect('/alerts', 303);
      }),
  );

  app.post('/alerts/channels', { ...action, schema: { hide: true, body: channelForm } }, (request, reply) =>
    asPage(ctx.config, request, reply, async (actor) => {
      const f = request.body;
      const kind = given(f.kind);
      const base = { kind, name: given(f.name) };
      const input =
        kind === 'email'
          ? { ...base, to: given(f.to) }
          : kind === 'room'
            ? { ...base, room_id: given(f.room_id) }
            : {
                ...base,
                preset: given(f.preset) ?? 'generic',
                url: given(f.url),
                ...(given(f.secret) ? { secret: given(f.secret) } : {}),
                ...(given(f.chat_id) ? { chat_id: given(f.chat_id) } : {}),
              };
      const parsed = createChannelBody.safeParse(input);
      if (!parsed.success) return render(request, reply, actor, { error: issuesOf(parsed.error) }, 400);
      const { channel, secret } = await alerting.channels.create(parsed.data, actor, request.ip);
      // The secret is shown on this answer only (as API tokens are on the agent page).
      if (secret && !given(f.secret))
        return render(request, reply, actor, { issuedSecret: { channel: channel.name, secret } });
      return reply.redirect('/alerts', 303);
    }),
  );

  app.post(
    '/alerts/channels/:id/test',
    { ...action, schema: { hide: true, params, body: emptyForm } },
    (request, reply) =>
      asPage(ctx.config, request, reply, async (actor) => {
        const outcome = await alerting.channels.test(request.params.id, actor);
        return render(
          request,
          reply,
          actor,
          outcome.delivered
            ? { notice: 'Test notification delivered.' }
            : { error: `Test notification failed: ${outcome.error ?? ''}` },
        );
      }),
  );

  app.post(
    '/alerts/channels/:id/delete',
    { ...action, schema: { hide: true, params, body: emptyForm } },
    (request, reply) =>
      asPage(ctx.config, request, reply, async (actor) => {
        await alerting.channels.remove(request.params.id, actor, request.ip);
        return reply.redirect('/alerts', 303);
      }),
  );

  app.post(
    '/alerts/:id/acknowledge',
    { ...action, schema: { hide: true, params, body: emptyForm } },
    (request, reply) =>
      asPage(ctx.config, request, reply, async (actor) => {
        await alerting.alerts.acknowledge(request.params.id, actor, request.ip);
        return reply.redirect('/alerts', 303);
      }),
  );
};
