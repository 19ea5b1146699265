import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { createIngestingAgent, nowSeconds, type IngestingAgent } from '../harness/metrics.js';
import { createChannel, createRule, deliverAll, postCpu, startReceiver } from '../harness/alerts.js';

/** A real SMTP server that parses what it receives. */
async function startSmtp() {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('notification delivery: retries, timeouts, presets, email and rooms', () => {
  let t: TestApp;
  let admin: Person;
  let owner: Person;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await createTestApp({
      config: {
        ALERT_WEBHOOK_ALLOW_PRIVATE: true,
        ALERT_DELIVERY_TIMEOUT_MS: 300,
        SMTP_URL: smtp.url,
        SMTP_FROM: 'AgentHub <alerts@hub.test>',
      },
    });
    admin = await signInAdmin(t);
    owner = await createUser(t, admin);
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  /** A firing cpu alert on a fresh agent, notifying `channelId`. */
  async function fire(channelId: string, name = 'cpu high'): Promise<{ agent: IngestingAgent; ruleId: string }> {
    const agent = await createIngestingAgent(t, admin, { owner });
    const rule = await createRule(t, owner, {
      name,
      kind: 'metric_threshold',
      agent_id: agent.agent.id,
      path: 'cpu.usage',
      op: '>=',
      threshold: 90,
      for: 0,
      severity: 'critical',
      channel_ids: [channelId],
    });
    const now = nowSeconds();
    await postCpu(t, agent, now, [[0, 97.5]]);
    await t.ctx.services.alerting.evaluation.evaluateAll(new Date(now * 1000));
    return { agent, ruleId: rule.id };
  }

  const outbox = async (channelId: string) =>
    (
      await t.database.db.query.notificationOutbox.findMany({
        where: (o, { eq }) => eq(o.channelId, channelId),
      })
    ).map((o) => ({ status: o.status, attempts: o.attempts, error: o.lastError, next: o.nextAttemptAt }));

  it('retries a receiver that answers 500, with backoff, and delivers once it answers 200', async () => {
    const receiver = await startReceiver((n) => (n < 3 ? 500 : 200));
    try {
      const { channel } = await createChannel(t, owner, { kind: 'webhook', name: 'flaky', url: receiver.url });
      await fire(channel.id);
      await t.ctx.services.alerting.delivery.tick();
      const [first] = await outbox(channel.id);
      expect(first).toMatchObject({ status: 'pending', attempts: 1, error: 'HTTP 500' });
      expect(first?.next.getTime()).toBeGreaterThan(Date.now() + 1000);
      // Time moves on past each backoff.
      await t.ctx.services.alerting.delivery.tick(new Date(Date.now() + 60_000));
      await t.ctx.services.alerting.delivery.tick(new Date(Date.now() + 600_000));
      expect(await outbox(channel.id)).toMatchObject([{ status: 'delivered', attempts: 3 }]);
      expect(receiver.received).toHaveLength(3);
      // Every attempt carried the same idempotency key, so the receiver can drop a repeat.
      expect(new Set(receiver.received.map((r) => r.headers['x-agenthub-delivery'])).size).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it('honours Retry-After, times out a receiver that hangs, and never follows a redirect', async () => {
    const limited = await startReceiver(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    const hanging = await startReceiver(() => 'hang');
    const redirecting = await startReceiver(() => ({ status: 302, headers: { location: 'http://169.254.169.254/' } }));
    try {
      const a = await createChannel(t, owner, { kind: 'webhook', name: 'limited', url: limited.url });
      const b = await createChannel(t, owner, { kind: 'webhook', name: 'hanging', url: hanging.url });
      const c = await createChannel(t, owner, { kind: 'webhook', name: 'redirect', url: redirecting.url });
      await fire(a.channel.id);
      await fire(b.channel.id);
      await fire(c.channel.id);
      const started = Date.now();
      await t.ctx.services.alerting.delivery.tick();
      // The hanging receiver held its own delivery up to the timeout, not the others beyond it.
      expect(Date.now() - started).toBeLessThan(5_000);
      const [retryLater] = await outbox(a.channel.id);
      expect(retryLater?.next.getTime()).toBeGreaterThan(Date.now() + 100_000);
      expect((await outbox(b.channel.id))[0]).toMatchObject({ status: 'pending', error: 'timed out' });
      expect((await outbox(c.channel.id))[0]).toMatchObject({ status: 'pending', error: 'redirect 302 not followed' });
      expect(redirecting.received).toHaveLength(1);
    } finally {
      await Promise.all([limited.close(), hanging.close(), redirecting.close()]);
    }
  });

  it('gives up after ALERT_DELIVERY_GIVE_UP and records the failure', async () => {
    const receiver = await startReceiver(() => 503);
    try {
      const { channel } = await createChannel(t, owner, { kind: 'webhook', name: 'down', url: receiver.url });
      await fire(channel.id);
      await t.ctx.services.alerting.delivery.tick(new Date(Date.now() + (t.config.ALERT_DELIVERY_GIVE_UP + 60) * 1000));
      expect(await outbox(channel.id)).toMatchObject([{ status: 'failed', error: 'HTTP 503' }]);
    } finally {
      await receiver.close();
    }
  });

  it('formats the Slack, Discord, Telegram and ntfy presets', async () => {
    const receiver = await startReceiver();
    try {
      const slack = await createChannel(t, owner, { kind: 'webhook', preset: 'slack', name: 's', url: receiver.url });
      const discord = await createChannel(t, owner, {
        kind: 'webhook',
        preset: 'discord',
        name: 'd',
        url: receiver.url,
      });
      const base = receiver.url.replace(/\/hook$/, '');
      const telegram = await createChannel(t, owner, {
        kind: 'webhook',
        preset: 'telegram',
        name: 't',
        url: base,
        secret: '123456:bot-token-for-tests',
        chat_id: '-100200',
      });
      const ntfy = await createChannel(t, owner, { kind: 'webhook', preset: 'ntfy', name: 'n', url: receiver.url });
      for (const c of [slack, discord, telegram, ntfy]) await fire(c.channel.id, `preset ${c.channel.id.slice(0, 4)}`);
      await deliverAll(t);
      const texts = receiver.received.map((r) => r.body);
      expect(texts).toContainEqual({ text: expect.stringContaining('[FIRING] critical') });
      expect(texts).toContainEqual({ content: expect.stringContaining('cpu.usage = 97.5 (>= 90)') });
      expect(texts).toContainEqual(
        expect.objectContaining({ chat_id: '-100200', text: expect.stringContaining('[FIRING]') }),
      );
      const tg = receiver.received.find((r) => (r.body as { chat_id?: string }).chat_id === '-100200');
      expect(tg).toBeDefined();
      const ntfyHit = receiver.received.find((r) => r.headers['priority'] !== undefined);
      expect(ntfyHit?.headers).toMatchObject({ priority: '5', tags: 'rotating_light' });
      expect(String(ntfyHit?.headers['title'])).toContain('[FIRING]');
    } finally {
      await receiver.close();
    }
  });

  it('emails through a real SMTP server: subject, recipient, agent name and value', async () => {
    const { channel } = await createChannel(t, owner, { kind: 'email', name: 'oncall', to: 'oncall@example.com' });
    const { agent } = await fire(channel.id, 'disk almost full');
    await deliverAll(t);
    const mail = smtp.mails.find((m) => m.subject?.includes('disk almost full'));
    expect(mail?.subject).toContain('[AgentHub] [FIRING] critical');
    expect(mail?.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('oncall@example.com');
    expect(mail?.from?.text).toContain('alerts@hub.test');
    expect(mail?.text).toContain(agent.agent.name);
    expect(mail?.text).toContain('Value: 97.5');
    expect(mail?.headers.get('x-agenthub-delivery')).toBeTruthy();
  });

  it('posts into a room of the owner, once per delivery key', async () => {
    const room = await t.app.inject({
      method: 'POST',
      url: '/api/v1/rooms',
      headers: owner.headers,
      payload: { slug: 'alerts', name: 'Alerts' },
    });
    const roomId = room.json<{ room: { id: string } }>().room.id;
    const { channel } = await createChannel(t, owner, { kind: 'room', name: 'alerts room', room_id: roomId });
    await fire(channel.id, 'load high');
    await deliverAll(t);
    const history = await t.app.inject({ url: `/api/v1/rooms/${roomId}/messages`, headers: owner.headers });
    const bodies = history.json<{ messages: { body: string; sender_id: string }[] }>().messages;
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.body).toContain('[FIRING] critical · load high');
    expect(bodies[0]?.sender_id).toBe(owner.id);
  });

  it('sends a test notification on demand and says whether it arrived', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? 200 : 500));
    try {
      const { channel } = await createChannel(t, owner, { kind: 'webhook', name: 'test me', url: receiver.url });
      const ok = await t.app.inject({
        method: 'POST',
        url: `/api/v1/notification-channels/${channel.id}/test`,
        headers: owner.headers,
      });
      expect(ok.json()).toEqual({ delivered: true, error: null });
      expect(receiver.received[0]?.body).toMatchObject({ status: 'test' });
      const failed = await t.app.inject({
        method: 'POST',
        url: `/api/v1/notification-channels/${channel.id}/test`,
        headers: owner.headers,
      });
      expect(failed.json()).toEqual({ delivered: false, error: 'HTTP 500' });
    } finally {
      await receiver.close();
    }
  });
});
