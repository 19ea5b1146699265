import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient } from '../../src/client/index.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { nowSeconds } from '../harness/metrics.js';
import { alertsOf, createChannel, createRule, deliverAll, startReceiver } from '../harness/alerts.js';

describe('a real SDK agent reporting, crossing the line and going silent', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    t = await startTestServer({ config: { ALERT_WEBHOOK_ALLOW_PRIVATE: true } });
    admin = await signInAdmin(t);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  it('fires and resolves metric_threshold with hysteresis on what the SDK sent, and agent_offline once it stops', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: admin.headers,
      payload: { name: 'sdk-box', server_id: 'sdk-box' },
    });
    const agentId = created.json<{ agent: { id: string } }>().agent.id;
    const issued = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${agentId}/tokens`,
      headers: admin.headers,
      payload: {},
    });
    const client = new AgentHubClient({
      server: t.url,
      credentials: { kind: 'api-token', apiToken: issued.json<{ token: string }>().token },
    });

    const { channel } = await createChannel(t, admin, { kind: 'webhook', name: 'sdk', url: receiver.url });
    const threshold = await createRule(t, admin, {
      name: 'memory high',
      kind: 'metric_threshold',
      agent_id: agentId,
      path: 'memory.percent',
      op: '>=',
      threshold: 90,
      resolve_threshold: 85,
      for: '1m',
      channel_ids: [channel.id],
    });
    const offline = await createRule(t, admin, {
      name: 'sdk gone',
      kind: 'agent_offline',
      agent_id: agentId,
      for: '5m',
      channel_ids: [channel.id],
    });

    const start = nowSeconds() - 200;
    const evaluateAt = (ts: number) => t.ctx.services.alerting.evaluation.evaluateAll(new Date(ts * 1000));
    // 30 s apart: 92 92 92 (fires after a minute), 88 (still firing: above 85), 80 (resolves).
    const series = [92, 92, 92, 88, 80];
    for (const [i, value] of series.entries()) {
      const ts = start + i * 30;
      await client.sendMetrics('sdk-box', { timestamp: ts, metrics: { memory: { percent: value } } });
      await evaluateAt(ts);
    }
    await deliverAll(t);
    const statuses = receiver.received
      .filter((r) => (r.body as { rule: { id: string } }).rule.id === threshold.id)
      .map((r) => [(r.body as { status: string }).status, (r.body as { value: number }).value]);
    expect(statuses).toEqual([
      ['firing', 92],
      ['resolved', 80],
    ]);

    // The agent stops reporting: five minutes after its last sample, agent_offline fires.
    await evaluateAt(nowSeconds() + 120);
    expect(await alertsOf(t, admin, `?rule_id=${offline.id}`)).toEqual([]);
    await evaluateAt(nowSeconds() + 301);
    expect((await alertsOf(t, admin, `?rule_id=${offline.id}`))[0]).toMatchObject({ state: 'firing' });
  });
});
