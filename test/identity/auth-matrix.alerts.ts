import { expect } from 'vitest';
import { suffix, type MatrixWorld, type ProbeFor } from './auth-matrix.world.js';

/**
 * Probes of the alerting routes. Rules and channels belong to the owner's team, so the team roles apply:
 * viewers read, members also use (test a channel, acknowledge), admins also manage. Changing probes act on
 * disposable rules, channels and silences.
 */
export function createAlertProbes(world: MatrixWorld): Record<string, ProbeFor> {
  const { t, setup, teamId, roomId } = world;
  const { owner } = world.people;
  const agent = world.agents.agent;

  async function teamChannel(): Promise<string> {
    const res = await setup(
      'POST',
      '/api/v1/notification-channels',
      { kind: 'room', name: `matrix-${suffix()}`, team_id: teamId, room_id: roomId },
      owner,
    );
    expect(res.statusCode).toBe(201);
    return res.json<{ channel: { id: string } }>().channel.id;
  }
  let channel: Promise<string> | undefined;
  const sharedChannel = () => (channel ??= teamChannel());

  async function teamRule(): Promise<string> {
    const res = await setup(
      'POST',
      '/api/v1/alert-rules',
      {
        name: `matrix-${suffix()}`,
        kind: 'metric_threshold',
        agent_id: agent.agent.id,
        path: 'matrix.load',
        op: '>',
        threshold: 1,
        for: 0,
        channel_ids: [await sharedChannel()],
      },
      owner,
    );
    expect(res.statusCode).toBe(201);
    return res.json<{ rule: { id: string } }>().rule.id;
  }
  let rule: Promise<string> | undefined;
  const sharedRule = () => (rule ??= teamRule());

  /** A firing alert of the team rule on the fixture agent (acknowledging it again keeps it firing). */
  let firing: Promise<string> | undefined;
  const firingAlert = () =>
    (firing ??= (async () => {
      const ruleId = await sharedRule();
      const sample = await t.app.inject({
        method: 'POST',
        url: '/api/v1/metrics',
        headers: { authorization: `Bearer ${agent.jwt}` },
        payload: {
          server_id: agent.agent.server_id,
          timestamp: Math.floor(Date.now() / 1000),
          metrics: { matrix: { load: 5 } },
        },
      });
      expect(sample.statusCode).toBe(200);
      await t.ctx.services.alerting.evaluation.evaluateAll();
      const alerts = await t.app.inject({
        url: `/api/v1/alerts?rule_id=${ruleId}&state=firing`,
        headers: owner.headers,
      });
      const id = alerts.json<{ alerts: { id: string }[] }>().alerts[0]?.id;
      expect(id).toBeDefined();
      return id ?? '';
    })());

  async function silence(): Promise<string> {
    const res = await setup(
      'POST',
      '/api/v1/silences',
      { rule_id: await sharedRule(), until: new Date(Date.now() + 3_600_000).toISOString() },
      owner,
    );
    expect(res.statusCode).toBe(201);
    return res.json<{ silence: { id: string } }>().silence.id;
  }

  return {
    'POST /api/v1/alert-rules': async () => ({
      method: 'POST',
      url: '/api/v1/alert-rules',
      json: {
        name: `matrix-${suffix()}`,
        kind: 'agent_offline',
        team_id: teamId,
        for: '10m',
        channel_ids: [await sharedChannel()],
      },
    }),
    'GET /api/v1/alert-rules': () => ({ method: 'GET', url: '/api/v1/alert-rules' }),
    'GET /api/v1/alert-rules/:id': async () => ({ method: 'GET', url: `/api/v1/alert-rules/${await sharedRule()}` }),
    'PATCH /api/v1/alert-rules/:id': async () => ({
      method: 'PATCH',
      url: `/api/v1/alert-rules/${await sharedRule()}`,
      json: { name: `renamed-${suffix()}` },
    }),
    'DELETE /api/v1/alert-rules/:id': async () => ({
      method: 'DELETE',
      url: `/api/v1/alert-rules/${await teamRule()}`,
    }),
    'POST /api/v1/silences': async () => ({
      method: 'POST',
      url: '/api/v1/silences',
      json: { rule_id: await sharedRule(), until: new Date(Date.now() + 60_000).toISOString() },
    }),
    'GET /api/v1/silences': () => ({ method: 'GET', url: '/api/v1/silences' }),
    'DELETE /api/v1/silences/:id': async () => ({ method: 'DELETE', url: `/api/v1/silences/${await silence()}` }),
    'POST /api/v1/notification-channels': () => ({
      method: 'POST',
      url: '/api/v1/notification-channels',
      json: { kind: 'room', name: `matrix-${suffix()}`, team_id: teamId, room_id: roomId },
    }),
    'GET /api/v1/notification-channels': () => ({ method: 'GET', url: '/api/v1/notification-channels' }),
    'DELETE /api/v1/notification-channels/:id': async () => ({
      method: 'DELETE',
      url: `/api/v1/notification-channels/${await teamChannel()}`,
    }),
    'POST /api/v1/notification-channels/:id/test': async () => ({
      method: 'POST',
      url: `/api/v1/notification-channels/${await sharedChannel()}/test`,
    }),
    'GET /api/v1/alerts': () => ({ method: 'GET', url: '/api/v1/alerts' }),
    'POST /api/v1/alerts/:id/acknowledge': async () => ({
      method: 'POST',
      url: `/api/v1/alerts/${await firingAlert()}/acknowledge`,
    }),
    'GET /api/v1/alert-events': () => ({ method: 'GET', url: '/api/v1/alert-events' }),

    // The pages: the same rules through forms.
    'GET /alerts': () => ({ method: 'GET', url: '/alerts' }),
    'POST /alerts/rules': async () => ({
      method: 'POST',
      url: '/alerts/rules',
      form: {
        name: `matrix-${suffix()}`,
        kind: 'agent_offline',
        agent_id: agent.agent.id,
        for: '10m',
        severity: 'warning',
        channel_ids: await sharedChannel(),
      },
    }),
    'GET /alerts/rules/:id': async () => ({ method: 'GET', url: `/alerts/rules/${await sharedRule()}` }),
    'POST /alerts/rules/:id': async () => ({
      method: 'POST',
      url: `/alerts/rules/${await sharedRule()}`,
      form: { name: `renamed-${suffix()}`, threshold: '1', for: '0', severity: 'warning', enabled: 'true' },
    }),
    'POST /alerts/rules/:id/delete': async () => ({
      method: 'POST',
      url: `/alerts/rules/${await teamRule()}/delete`,
      form: {},
    }),
    'POST /alerts/channels': () => ({
      method: 'POST',
      url: '/alerts/channels',
      form: { kind: 'room', name: `matrix-${suffix()}`, room_id: roomId },
    }),
    'POST /alerts/channels/:id/test': async () => ({
      method: 'POST',
      url: `/alerts/channels/${await sharedChannel()}/test`,
      form: {},
    }),
    'POST /alerts/channels/:id/delete': async () => ({
      method: 'POST',
      url: `/alerts/channels/${await teamChannel()}/delete`,
      form: {},
    }),
    'POST /alerts/:id/acknowledge': async () => ({
      method: 'POST',
      url: `/alerts/${await firingAlert()}/acknowledge`,
      form: {},
    }),
  };
}
