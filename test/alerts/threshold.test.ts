import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { createIngestingAgent, nowSeconds, type IngestingAgent } from '../harness/metrics.js';
import {
  alertsOf,
  createChannel,
  createRule,
  deliverAll,
  postCpu,
  startReceiver,
  verifySignature,
  type ReceivedWebhook,
} from '../harness/alerts.js';

/** Two and a half minutes of samples at 95, 30 s apart, up to `now`: over any 2-minute `for` at 90. */
const SUSTAINED_95: [number, number][] = [150, 120, 90, 60, 30, 0].map((ago) => [ago, 95]);

describe('metric_threshold rules on real samples, delivered to a real webhook receiver', () => {
  let t: TestApp;
  let admin: Person;
  let owner: Person;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let channelId: string;
  let secret: string;

  beforeAll(async () => {
    t = await createTestApp({ config: { ALERT_WEBHOOK_ALLOW_PRIVATE: true } });
    admin = await signInAdmin(t);
    owner = await createUser(t, admin);
    receiver = await startReceiver();
    const created = await createChannel(t, owner, { kind: 'webhook', name: 'ops hook', url: receiver.url });
    channelId = created.channel.id;
    secret = created.secret ?? '';
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  const evaluate = (at: number) => t.ctx.services.alerting.evaluation.evaluateAll(new Date(at * 1000));
  const forRule = (ruleId: string, list: ReceivedWebhook[]) =>
    list.filter((r) => (r.body as { rule: { id: string } }).rule.id === ruleId);

  async function agentWithRule(
    extra: Record<string, unknown> = {},
  ): Promise<{ agent: IngestingAgent; ruleId: string }> {
    const agent = await createIngestingAgent(t, admin, { owner });
    const rule = await createRule(t, owner, {
      name: 'cpu high',
      kind: 'metric_threshold',
      agent_id: agent.agent.id,
      path: 'cpu.usage',
      op: '>',
      threshold: 90,
      for: '2m',
      severity: 'critical',
      channel_ids: [channelId],
      ...extra,
    });
    return { agent, ruleId: rule.id };
  }

  it('shows the secret once: the list gives only its last four characters', async () => {
    expect(secret).toMatch(/^whsec_/);
    const res = await t.app.inject({ url: '/api/v1/notification-channels', headers: owner.headers });
    const listed = res
      .json<{ channels: { id: string; secret_hint: string }[] }>()
      .channels.find((c) => c.id === channelId);
    expect(listed?.secret_hint).toBe(`…${secret.slice(-4)}`);
    expect(res.body).not.toContain(secret);
    // The URL too (chat webhooks carry their secret in it): its origin and last four characters only.
    expect(res.body).not.toContain(receiver.url);
    expect((listed as unknown as { target: { url: string } }).target.url).toBe(
      `${new URL(receiver.url).origin}/…${receiver.url.slice(-4)}`,
    );
  });

  it('never fires on a short spike: one sample over the line goes pending, then back to ok', async () => {
    const { agent, ruleId } = await agentWithRule();
    const now = nowSeconds();
    await postCpu(t, agent, now, [
      [150, 40],
      [120, 41],
      [90, 42],
      [60, 43],
      [30, 99],
    ]);
    await evaluate(now);
    expect((await alertsOf(t, owner, `?rule_id=${ruleId}`)).map((a) => a.state)).toEqual(['pending']);
    await postCpu(t, agent, now + 30, [[0, 42]]);
    await evaluate(now + 30);
    await postCpu(t, agent, now + 60, [[0, 97]]);
    await evaluate(now + 60);
    await deliverAll(t);
    expect(forRule(ruleId, receiver.received)).toHaveLength(0);
    const history = await t.app.inject({ url: `/api/v1/alert-events?rule_id=${ruleId}`, headers: owner.headers });
    expect(history.json<{ events: { from: string; to: string }[] }>().events.map((e) => `${e.from}>${e.to}`)).toEqual([
      'ok>pending',
      'pending>ok',
      'ok>pending',
    ]);
  });

  it('fires when every sample of the window breaches, signs the body, and resolves once below the line', async () => {
    const { agent, ruleId } = await agentWithRule();
    const now = nowSeconds();
    await postCpu(t, agent, now, [
      [150, 95],
      [120, 96],
      [90, 97],
      [60, 98],
      [30, 99],
      [0, 97],
    ]);
    await evaluate(now);
    const [alert] = await alertsOf(t, owner, `?rule_id=${ruleId}`);
    expect(alert).toMatchObject({ state: 'firing', value: 97, agent_id: agent.agent.id });
    await deliverAll(t);
    const firing = forRule(ruleId, receiver.received);
    expect(firing).toHaveLength(1);
    const [hook] = firing;
    expect(verifySignature(secret, hook?.raw ?? '', hook?.headers['x-agenthub-signature'])).toBe(true);
    expect(verifySignature('another-secret-entirely', hook?.raw ?? '', hook?.headers['x-agenthub-signature'])).toBe(
      false,
    );
    expect(hook?.headers['x-agenthub-delivery']).toMatch(/.+:.+/);
    expect(hook?.body).toMatchObject({
      status: 'firing',
      value: 97,
      rule: { id: ruleId, name: 'cpu high', severity: 'critical' },
      agent: { id: agent.agent.id, server_id: agent.serverId },
      url: `${t.config.publicUrl}/agents/${agent.agent.id}`,
    });

    // Still firing: evaluating again sends nothing (no repeat interval set).
    await postCpu(t, agent, now + 30, [[0, 98]]);
    await evaluate(now + 30);
    await deliverAll(t);
    expect(forRule(ruleId, receiver.received)).toHaveLength(1);

    await postCpu(t, agent, now + 60, [[0, 50]]);
    await evaluate(now + 60);
    await deliverAll(t);
    const all = forRule(ruleId, receiver.received);
    expect(all.map((r) => (r.body as { status: string }).status)).toEqual(['firing', 'resolved']);
    expect(await alertsOf(t, owner, `?rule_id=${ruleId}&state=ok`)).toHaveLength(1);
  });

  it('does not flap with hysteresis: a value hovering at the line keeps one firing alert', async () => {
    const hover = async (resolve: number | undefined) => {
      const { agent, ruleId } = await agentWithRule(resolve === undefined ? {} : { resolve_threshold: resolve });
      const now = nowSeconds();
      await postCpu(t, agent, now, SUSTAINED_95);
      await evaluate(now);
      // Hovering: 89, 91, 89, 91 ...
      for (let i = 1; i <= 6; i++) {
        await postCpu(t, agent, now + i * 30, [[0, i % 2 === 1 ? 89 : 91]]);
        await evaluate(now + i * 30);
      }
      await deliverAll(t);
      return forRule(ruleId, receiver.received).map((r) => (r.body as { status: string }).status);
    };
    // Without hysteresis the first dip resolves it; with a resolve threshold of 80 it stays firing.
    expect((await hover(undefined)).slice(0, 2)).toEqual(['firing', 'resolved']);
    expect(await hover(80)).toEqual(['firing']);
  });

  it('sends a reminder per repeat interval until acknowledged', async () => {
    const { agent, ruleId } = await agentWithRule({ repeat: '5m' });
    // In the past, so the later samples are still inside the accepted window.
    const now = nowSeconds() - 900;
    await postCpu(t, agent, now, SUSTAINED_95);
    await evaluate(now);
    await postCpu(t, agent, now + 301, [[0, 96]]);
    await evaluate(now + 301);
    await deliverAll(t);
    expect(forRule(ruleId, receiver.received)).toHaveLength(2);
    const [alert] = await alertsOf(t, owner, `?rule_id=${ruleId}`);
    const ack = await t.app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${alert?.id}/acknowledge`,
      headers: owner.headers,
    });
    expect(ack.statusCode).toBe(200);
    expect(ack.json<{ alert: { acknowledged_by: string } }>().alert.acknowledged_by).toBe(owner.id);
    await postCpu(t, agent, now + 700, [[0, 96]]);
    await evaluate(now + 700);
    await deliverAll(t);
    expect(forRule(ruleId, receiver.received)).toHaveLength(2);
  });

  it('records but does not send while a silence is in force, or outside critical in quiet hours', async () => {
    const { agent, ruleId } = await agentWithRule();
    const silence = await t.app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers: owner.headers,
      payload: {
        agent_id: agent.agent.id,
        until: new Date(Date.now() + 3_600_000).toISOString(),
        reason: 'maintenance',
      },
    });
    expect(silence.statusCode).toBe(201);
    const now = nowSeconds();
    await postCpu(t, agent, now, SUSTAINED_95);
    await evaluate(now);
    await deliverAll(t);
    expect(forRule(ruleId, receiver.received)).toHaveLength(0);
    const events = await t.app.inject({ url: `/api/v1/alert-events?rule_id=${ruleId}`, headers: owner.headers });
    expect(events.json<{ events: { to: string; suppressed: string }[] }>().events[0]).toMatchObject({
      to: 'firing',
      suppressed: 'silenced',
    });

    // Quiet all day long (00:00 to 23:59) for a warning rule: recorded, not sent.
    const quiet = await agentWithRule({
      severity: 'warning',
      quiet_hours: { start: '00:00', end: '23:59', tz: 'UTC' },
    });
    await postCpu(t, quiet.agent, now, SUSTAINED_95);
    const minute = new Date(now * 1000).getUTCHours() * 60 + new Date(now * 1000).getUTCMinutes();
    await evaluate(now);
    await deliverAll(t);
    if (minute < 23 * 60 + 59) expect(forRule(quiet.ruleId, receiver.received)).toHaveLength(0);
  });
});
