import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { createIngestingAgent, ingest, nowSeconds } from '../harness/metrics.js';
import { alertsOf, createChannel, createRule, postCpu, startReceiver } from '../harness/alerts.js';

async function count(t: TestApp, table: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(t.database.db, sql.raw(`select count(*)::int as n from ${table}`));
  return row?.n ?? 0;
}

describe('alert rules, channels and silences: validation, tenancy and the other rule kinds', () => {
  let t: TestApp;
  let admin: Person;
  let owner: Person;
  let stranger: Person;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let channelId: string;

  beforeAll(async () => {
    t = await createTestApp({ config: { ALERT_WEBHOOK_ALLOW_PRIVATE: true } });
    admin = await signInAdmin(t);
    owner = await createUser(t, admin);
    stranger = await createUser(t, admin);
    receiver = await startReceiver();
    channelId = (await createChannel(t, owner, { kind: 'webhook', name: 'hook', url: receiver.url })).channel.id;
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  const valid = (extra: Record<string, unknown> = {}) => ({
    name: 'cpu',
    kind: 'metric_threshold',
    path: 'cpu.usage',
    op: '>',
    threshold: 90,
    for: '5m',
    channel_ids: [channelId],
    ...extra,
  });

  it('refuses bad rules with a 400 naming the field, and stores nothing', async () => {
    const before = await count(t, 'alert_rules');
    for (const body of [
      valid({ unknown_field: 1 }),
      valid({ path: "cpu.usage'); drop table agents; --" }),
      valid({ path: 'cpu..usage' }),
      valid({ path: '{cpu,usage}' }),
      valid({ threshold: 'NaN' }),
      valid({ threshold: '1e400' }),
      valid({ for: '30y' }),
      valid({ for: 8 * 86_400 }),
      valid({ channel_ids: [] }),
      valid({ op: '==' }),
      valid({ severity: 'page-everyone' }),
      valid({ resolve_threshold: 95 }),
      valid({ kind: 'agent_offline', for: '5s' }),
      valid({ kind: 'metric_threshold', threshold: undefined }),
      valid({ quiet_hours: { start: '25:00', end: '07:00', tz: 'UTC' } }),
      valid({ quiet_hours: { start: '22:00', end: '07:00', tz: 'Mars/Olympus' } }),
      { ...valid(), name: '' },
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/alert-rules',
        headers: owner.headers,
        payload: body,
      });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<{ error: string }>().error).toBe('invalid_request');
      expect(res.body).not.toMatch(/at .*\.ts:|select |insert /i);
    }
    expect(await count(t, 'alert_rules')).toBe(before);
  });

  it('refuses webhook URLs that are not http(s), and private targets unless allowed', async () => {
    const strict = await createTestApp({ database: t.database });
    try {
      const before = await count(t, 'notification_channels');
      for (const [url, app] of [
        ['ftp://example.com/hook', t],
        ['javascript:alert(1)', t],
        ['not a url', t],
        ['http://127.0.0.1:9/hook', strict],
        ['http://10.1.2.3/hook', strict],
        ['http://169.254.169.254/latest/meta-data', strict],
        ['http://[::1]/hook', strict],
        ['http://localhost/hook', strict],
      ] as const) {
        const res = await app.app.inject({
          method: 'POST',
          url: '/api/v1/notification-channels',
          headers: owner.headers,
          payload: { kind: 'webhook', name: 'x', url },
        });
        expect(res.statusCode, url).toBe(400);
      }
      expect(await count(t, 'notification_channels')).toBe(before);
    } finally {
      await strict.close();
    }
  });

  it('shows another person nothing: rules, channels, alerts and silences are 404 to them', async () => {
    const agent = await createIngestingAgent(t, admin, { owner });
    const rule = await createRule(t, owner, valid({ agent_id: agent.agent.id, for: 0 }));
    await postCpu(t, agent, nowSeconds(), [[0, 99]]);
    await t.ctx.services.alerting.evaluation.evaluateAll();
    const [alert] = await alertsOf(t, owner, `?rule_id=${rule.id}`);
    expect(alert?.state).toBe('firing');

    const probes = [
      { method: 'GET', url: `/api/v1/alert-rules/${rule.id}` },
      { method: 'PATCH', url: `/api/v1/alert-rules/${rule.id}`, payload: { enabled: false } },
      { method: 'DELETE', url: `/api/v1/alert-rules/${rule.id}` },
      { method: 'DELETE', url: `/api/v1/notification-channels/${channelId}` },
      { method: 'POST', url: `/api/v1/notification-channels/${channelId}/test` },
      { method: 'POST', url: `/api/v1/alerts/${alert?.id}/acknowledge` },
      {
        method: 'POST',
        url: '/api/v1/silences',
        payload: { rule_id: rule.id, until: new Date(Date.now() + 60_000).toISOString() },
      },
      { method: 'POST', url: '/api/v1/alert-rules', payload: valid({ agent_id: agent.agent.id }) },
      { method: 'POST', url: '/api/v1/alert-rules', payload: valid() },
    ] as const;
    for (const probe of probes) {
      const res = await t.app.inject({ ...probe, headers: stranger.headers });
      expect(res.statusCode, `${probe.method} ${probe.url}`).toBe(404);
    }
    expect(await alertsOf(t, stranger)).toEqual([]);
    const lists = await Promise.all(
      ['/api/v1/alert-rules', '/api/v1/notification-channels', '/api/v1/alert-events', '/api/v1/silences'].map((url) =>
        t.app.inject({ url, headers: stranger.headers }),
      ),
    );
    for (const res of lists) expect(Object.values(res.json<Record<string, unknown[]>>())[0]).toEqual([]);
    // The owner still has it all.
    expect((await t.app.inject({ url: `/api/v1/alert-rules/${rule.id}`, headers: owner.headers })).statusCode).toBe(
      200,
    );
  });

  it('pages the alert list with a cursor', async () => {
    const agents = await Promise.all([0, 1, 2].map(() => createIngestingAgent(t, admin, { owner })));
    const rule = await createRule(t, owner, valid({ for: 0, name: 'all my agents' }));
    const now = nowSeconds();
    for (const a of agents) await postCpu(t, a, now, [[0, 99]]);
    await t.ctx.services.alerting.evaluation.evaluateAll(new Date(now * 1000));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof t.app.inject>> = await t.app.inject({
        url: `/api/v1/alerts?rule_id=${rule.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers: owner.headers,
      });
      const page: { alerts: { id: string }[]; next_cursor: string | null } = res.json<{
        alerts: { id: string }[];
        next_cursor: string | null;
      }>();
      seen.push(...page.alerts.map((a) => a.id));
      cursor = page.next_cursor;
    } while (cursor);
    // Every firing agent of the owner once (an earlier test's agent is in scope too), none twice.
    expect(seen.length).toBe(new Set(seen).size);
    expect(seen.length).toBe((await alertsOf(t, owner, `?rule_id=${rule.id}&limit=200`)).length);
    expect(seen.length).toBeGreaterThanOrEqual(agents.length);
    const bad = await t.app.inject({ url: '/api/v1/alerts?cursor=nope', headers: owner.headers });
    expect(bad.statusCode).toBe(400);
  });

  it('fires agent_offline when a real agent goes silent, and resolves when it reports again', async () => {
    const agent = await createIngestingAgent(t, admin, { owner });
    const rule = await createRule(t, owner, {
      name: 'gone',
      kind: 'agent_offline',
      agent_id: agent.agent.id,
      for: '5m',
      channel_ids: [channelId],
    });
    await postCpu(t, agent, nowSeconds(), [[0, 10]]);
    const evaluateAt = (offsetSeconds: number) =>
      t.ctx.services.alerting.evaluation.evaluateAll(new Date(Date.now() + offsetSeconds * 1000));
    await evaluateAt(60);
    expect(await alertsOf(t, owner, `?rule_id=${rule.id}`)).toEqual([]);
    await evaluateAt(301);
    expect((await alertsOf(t, owner, `?rule_id=${rule.id}`))[0]).toMatchObject({ state: 'firing' });
    await postCpu(t, agent, nowSeconds(), [[0, 10]]);
    await evaluateAt(1);
    expect(await alertsOf(t, owner, `?rule_id=${rule.id}&state=ok`)).toHaveLength(1);
  });

  it('fires no_data for an online agent whose samples lack the path', async () => {
    const agent = await createIngestingAgent(t, admin, { owner });
    const rule = await createRule(t, owner, {
      name: 'no temp',
      kind: 'no_data',
      agent_id: agent.agent.id,
      path: 'sensors.temp',
      for: '1m',
      channel_ids: [channelId],
    });
    // Linked long enough ago for a minute of missing data to mean something.
    await t.database.db.execute(
      sql`update agents set approved_at = now() - interval '1 hour' where id = ${agent.agent.id}::uuid`,
    );
    const now = nowSeconds();
    await postCpu(t, agent, now, [
      [50, 10],
      [20, 12],
    ]);
    await t.ctx.services.alerting.evaluation.evaluateAll(new Date(now * 1000));
    expect((await alertsOf(t, owner, `?rule_id=${rule.id}`))[0]).toMatchObject({ state: 'firing' });
    const res = await ingest(t, agent.jwt, {
      server_id: agent.serverId,
      timestamp: now + 1,
      metrics: { sensors: { temp: 41 } },
    });
    expect(res.statusCode).toBe(200);
    await t.ctx.services.alerting.evaluation.evaluateAll(new Date((now + 2) * 1000));
    expect(await alertsOf(t, owner, `?rule_id=${rule.id}&state=ok`)).toHaveLength(1);
  });

  it('never fires for a deactivated agent', async () => {
    const agent = await createIngestingAgent(t, admin, { owner });
    const rule = await createRule(t, owner, valid({ agent_id: agent.agent.id, for: 0, name: 'deactivated' }));
    await postCpu(t, agent, nowSeconds(), [[0, 99]]);
    const off = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${agent.agent.id}/deactivate`,
      headers: owner.headers,
    });
    expect(off.statusCode).toBe(200);
    await t.ctx.services.alerting.evaluation.evaluateAll();
    expect(await alertsOf(t, owner, `?rule_id=${rule.id}&state=firing`)).toEqual([]);
  });
});
