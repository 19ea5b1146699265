import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { createIngestingAgent, nowSeconds } from '../harness/metrics.js';
import { alertsOf, createChannel, createRule, postCpu, startReceiver } from '../harness/alerts.js';

const postgres = Boolean(process.env['TEST_DATABASE_URL']);

describe.skipIf(!postgres)('two instances on one Postgres: each transition is notified once', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: Person;
  let owner: Person;

  beforeAll(async () => {
    a = await createTestApp({ config: { ALERT_WEBHOOK_ALLOW_PRIVATE: true } });
    b = await createTestApp({ database: a.database, config: { ALERT_WEBHOOK_ALLOW_PRIVATE: true } });
    admin = await signInAdmin(a);
    owner = await createUser(a, admin);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('evaluates and delivers side by side without doubling a notification', async () => {
    const receiver = await startReceiver();
    try {
      const { channel } = await createChannel(a, owner, { kind: 'webhook', name: 'fleet', url: receiver.url });
      const agents = await Promise.all([0, 1, 2, 3, 4].map(() => createIngestingAgent(a, admin, { owner })));
      await createRule(a, owner, {
        name: 'fleet cpu',
        kind: 'metric_threshold',
        path: 'cpu.usage',
        op: '>',
        threshold: 90,
        for: 0,
        channel_ids: [channel.id],
      });
      const now = nowSeconds();
      for (const agent of agents) await postCpu(a, agent, now, [[0, 99]]);
      const at = new Date(now * 1000);
      // Both instances evaluate the same tick at once, then both send at once, several rounds.
      await Promise.all([a, b].map((x) => x.ctx.services.alerting.evaluation.evaluateAll(at)));
      await Promise.all([a, b].map((x) => x.ctx.services.alerting.evaluation.evaluateAll(at)));
      for (let i = 0; i < 4; i++) await Promise.all([a, b].map((x) => x.ctx.services.alerting.delivery.tick()));
      expect((await alertsOf(a, owner)).filter((x) => x.state === 'firing')).toHaveLength(agents.length);
      const keys = receiver.received.map((r) => r.headers['x-agenthub-delivery']);
      expect(keys).toHaveLength(agents.length);
      expect(new Set(keys).size).toBe(agents.length);
    } finally {
      await receiver.close();
    }
  });
});

describe('the evaluation and delivery jobs run on their own when alerting is enabled', () => {
  let t: TestApp;
  afterAll(async () => t.close());
  beforeAll(async () => {
    t = await createTestApp({
      config: { ALERTS_ENABLED: true, ALERT_EVAL_INTERVAL: 1, ALERT_WEBHOOK_ALLOW_PRIVATE: true },
    });
  });

  it('fires and delivers within a few seconds without anyone calling them', async () => {
    const admin = await signInAdmin(t);
    const receiver = await startReceiver();
    try {
      const { channel } = await createChannel(t, admin, { kind: 'webhook', name: 'jobs', url: receiver.url });
      const agent = await createIngestingAgent(t, admin);
      await createRule(t, admin, {
        name: 'jobs',
        kind: 'metric_threshold',
        agent_id: agent.agent.id,
        path: 'cpu.usage',
        op: '>',
        threshold: 1,
        for: 0,
        channel_ids: [channel.id],
      });
      await postCpu(t, agent, nowSeconds(), [[0, 50]]);
      await expect.poll(() => receiver.received.length, { timeout: 10_000, interval: 200 }).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});
