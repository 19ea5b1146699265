import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { createSecretBox } from '../../src/lib/secret-box.js';
import { startReceiver, verifySignature } from '../harness/alerts.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { bearer, createUser, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import {
  addressedMessage,
  putWakeHook,
  setWakeHook,
  wakeIdsOf,
  wakeOutboxOf,
  wakeRound,
  type WireWakeHook,
} from '../harness/wake.js';

describe('wake hooks: registration, who is woken, coalescing and delivery', () => {
  let t: TestApp;
  let admin: Person;
  let owner: Person;
  let other: Person;
  let room: WireRoom;
  let sender: RoomAgent;
  const secrets: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      captureLogs: true,
      config: { WAKE_HOOK_ALLOW_PRIVATE: true, WAKE_DELIVERY_TIMEOUT_MS: 300, WAKE_GRACE_MS: 2000 },
    });
    admin = await signInAdmin(t);
    owner = await createUser(t, admin);
    other = await createUser(t, admin);
    room = await createRoom(t, owner);
    sender = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
  });
  afterAll(async () => {
    // Whatever happened above, no secret ever reached a log line.
    const logs = t.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logs).not.toContain(secret);
    await t.close();
  });

  /** A fresh member agent of the room with a hook on `url`. */
  async function hooked(url: string, body: Record<string, unknown> = {}) {
    const agent = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
    const { secret, wake_hook } = await setWakeHook(t, agent, { url, ...body });
    secrets.push(secret);
    return { agent, secret, hook: wake_hook };
  }
  const mention = (to: RoomAgent, extra: Partial<Parameters<typeof addressedMessage>[1]> = {}) =>
    addressedMessage(t, { roomId: room.id, senderAgentId: sender.agent.id, recipientAgentId: to.agent.id, ...extra });

  describe('registration', () => {
    it('generates a secret shown once, stores it encrypted, and never shows it again', async () => {
      const agent = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
      const set = await putWakeHook(t, agent, { url: 'https://hooks.example.com/wake/abcd1234', coalesce_seconds: 10 });
      expect(set.statusCode).toBe(200);
      const { wake_hook, secret } = set.json<{ wake_hook: WireWakeHook; secret: string }>();
      secrets.push(secret);
      expect(secret).toMatch(/^whsec_/);
      expect(wake_hook).toMatchObject({
        agent_id: agent.agent.id,
        url: 'https://hooks.example.com/…1234',
        wake_on_room_mentions: false,
        coalesce_seconds: 10,
      });
      const [row] = await queryRows<{ secret_enc: string }>(
        t.database.db,
        sql`select secret_enc from agent_wake_hooks where agent_id = ${agent.agent.id}`,
      );
      expect(row?.secret_enc).not.toContain(secret);
      expect(createSecretBox(t.config.cookieSecret, 'agent-wake-hook-secrets').open(row?.secret_enc ?? '')).toBe(
        secret,
      );

      const read = await t.app.inject({ url: '/api/v1/agents/me/wake-hook', headers: bearer(agent.jwt) });
      expect(read.statusCode).toBe(200);
      expect(read.body).not.toContain(secret);
      expect(read.json()).toEqual({ wake_hook: wake_hook });
      const byOwner = await t.app.inject({ url: `/api/v1/agents/${agent.agent.id}/wake-hook`, headers: owner.headers });
      expect(byOwner.json()).toEqual({ wake_hook: wake_hook });
      expect(byOwner.body).not.toContain(secret);

      // An update without a secret keeps the one the receiver knows.
      const update = await putWakeHook(t, agent, {
        url: 'https://hooks.example.com/other',
        wake_on_room_mentions: true,
      });
      expect(update.json()).toMatchObject({
        secret: null,
        wake_hook: { wake_on_room_mentions: true, coalesce_seconds: 30 },
      });
      const [after] = await queryRows<{ secret_enc: string }>(
        t.database.db,
        sql`select secret_enc from agent_wake_hooks where agent_id = ${agent.agent.id}`,
      );
      expect(createSecretBox(t.config.cookieSecret, 'agent-wake-hook-secrets').open(after?.secret_enc ?? '')).toBe(
        secret,
      );

      const removed = await t.app.inject({
        method: 'DELETE',
        url: '/api/v1/agents/me/wake-hook',
        headers: bearer(agent.jwt),
      });
      expect(removed.statusCode).toBe(204);
      const gone = await t.app.inject({ url: '/api/v1/agents/me/wake-hook', headers: bearer(agent.jwt) });
      expect(gone.json()).toEqual({ wake_hook: null });
    });

    it('lets the owner set an agent’s hook, and answers 404 to another person', async () => {
      const agent = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
      const set = await putWakeHook(t, { person: owner, agentId: agent.agent.id }, { url: 'https://203.0.113.9/w' });
      expect(set.statusCode).toBe(200);
      secrets.push(set.json<{ secret: string }>().secret);
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const res = await t.app.inject({
          method,
          url: `/api/v1/agents/${agent.agent.id}/wake-hook`,
          headers: other.headers,
          ...(method === 'PUT' ? { payload: { url: 'https://203.0.113.10/stolen' } } : {}),
        });
        expect(res.statusCode, method).toBe(404);
      }
      // An agent cannot use the person routes to reach another agent's hook.
      const byAgent = await t.app.inject({
        url: `/api/v1/agents/${agent.agent.id}/wake-hook`,
        headers: bearer(sender.jwt),
      });
      expect(byAgent.statusCode).toBe(401);
      const mine = await t.app.inject({ url: '/api/v1/agents/me/wake-hook', headers: bearer(sender.jwt) });
      expect(mine.json()).toEqual({ wake_hook: null });
      const still = await t.app.inject({ url: '/api/v1/agents/me/wake-hook', headers: bearer(agent.jwt) });
      expect(still.json<{ wake_hook: WireWakeHook }>().wake_hook.url).toBe('https://203.0.113.9/….9/w');
    });

    it('answers 400 and stores nothing for a bad URL, a bad window or a short secret', async () => {
      const agent = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
      for (const body of [
        { url: 'ftp://hooks.example.com/wake' },
        { url: 'javascript:alert(1)' },
        { url: 'not a url' },
        { url: 'https://hooks.example.com/w', coalesce_seconds: 3601 },
        { url: 'https://hooks.example.com/w', coalesce_seconds: -1 },
        { url: 'https://hooks.example.com/w', coalesce_seconds: 1.5 },
        { url: 'https://hooks.example.com/w', secret: 'short' },
        { url: 'https://hooks.example.com/w', surprise: true },
        {},
      ]) {
        const res = await putWakeHook(t, agent, body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.json()).toMatchObject({ error: 'invalid_request' });
      }
      const read = await t.app.inject({ url: '/api/v1/agents/me/wake-hook', headers: bearer(agent.jwt) });
      expect(read.json()).toEqual({ wake_hook: null });
    });
  });

  it('calls the hook once, signed as the docs tell a receiver to verify, with the documented body', async () => {
    const receiver = await startReceiver();
    try {
      const { agent, secret } = await hooked(receiver.url);
      const message = await mention(agent, { body: '@x please review\n\nthe migration  ' + 'x'.repeat(500) });
      // Within the grace nothing happens: a connected agent would have received it by then.
      expect(await wakeRound(t, new Date())).toEqual({ queued: 0, sent: 0 });
      expect(await wakeRound(t)).toEqual({ queued: 1, sent: 1 });
      expect(receiver.received).toHaveLength(1);
      const [hit] = receiver.received;
      expect(verifySignature(secret, hit?.raw ?? '', hit?.headers['x-agenthub-signature'])).toBe(true);
      expect(verifySignature('whsec_wrong', hit?.raw ?? '', hit?.headers['x-agenthub-signature'])).toBe(false);
      const body = hit?.body as Record<string, unknown>;
      const [wakeId] = await wakeIdsOf(t, [message.id]);
      expect(hit?.headers['x-agenthub-delivery']).toBe(wakeId);
      expect(hit?.headers['x-agenthub-event']).toBe('wake');
      expect(body).toEqual({
        type: 'wake',
        agent: { id: agent.agent.id, name: agent.agent.name },
        wake_id: wakeId,
        messages: [
          {
            id: message.id,
            room_id: room.id,
            room_slug: room.slug,
            seq: message.seq,
            reason: 'mention',
            sender: { type: 'agent', id: sender.agent.id, name: sender.agent.name },
            created_at: expect.any(String),
            excerpt: expect.stringMatching(/^@x please review the migration x+…$/),
          },
        ],
        count: 1,
        url: `${t.config.publicUrl}/api/v1/inbox`,
      });
      expect(((body['messages'] as { excerpt: string }[])[0]?.excerpt ?? '').length).toBeLessThanOrEqual(201);
      expect(hit?.raw).not.toContain(secret);
      // The message is covered: later rounds never call again for it.
      expect(await wakeRound(t, new Date(Date.now() + 3_600_000))).toEqual({ queued: 0, sent: 0 });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('retries a 500 with backoff: one logical wake, the same X-AgentHub-Delivery on every attempt', async () => {
    const receiver = await startReceiver((n) => (n < 3 ? 500 : 200));
    try {
      const { agent } = await hooked(receiver.url, { coalesce_seconds: 0 });
      const message = await mention(agent);
      await wakeRound(t);
      const [first] = await wakeOutboxOf(t, agent.agent.id);
      expect(first).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 500' });
      expect(new Date(first?.next_attempt_at ?? 0).getTime()).toBeGreaterThan(Date.now() + 1000);
      await wakeRound(t, new Date(Date.now() + 60_000));
      await wakeRound(t, new Date(Date.now() + 600_000));
      expect(await wakeOutboxOf(t, agent.agent.id)).toMatchObject([{ status: 'delivered', attempts: 3 }]);
      expect(receiver.received).toHaveLength(3);
      const [wakeId] = await wakeIdsOf(t, [message.id]);
      expect(new Set(receiver.received.map((r) => r.headers['x-agenthub-delivery']))).toEqual(new Set([wakeId]));
      expect(new Set(receiver.received.map((r) => r.raw)).size).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it('honours Retry-After, never follows a redirect, and gives up after WAKE_DELIVERY_GIVE_UP', async () => {
    const limited = await startReceiver(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    const redirecting = await startReceiver(() => ({ status: 302, headers: { location: 'http://169.254.169.254/' } }));
    const down = await startReceiver(() => 503);
    try {
      const a = await hooked(limited.url);
      const b = await hooked(redirecting.url);
      const c = await hooked(down.url);
      for (const x of [a, b, c]) await mention(x.agent);
      await wakeRound(t);
      const [later] = await wakeOutboxOf(t, a.agent.agent.id);
      expect(later).toMatchObject({ status: 'pending', last_error: 'HTTP 429' });
      expect(new Date(later?.next_attempt_at ?? 0).getTime()).toBeGreaterThan(Date.now() + 100_000);
      expect((await wakeOutboxOf(t, b.agent.agent.id))[0]).toMatchObject({ status: 'pending' });
      expect((await wakeOutboxOf(t, b.agent.agent.id))[0]?.last_error).toBe('redirect 302 not followed');
      expect(redirecting.received).toHaveLength(1);
      await t.ctx.services.wake.delivery.tick(new Date(Date.now() + (t.config.WAKE_DELIVERY_GIVE_UP + 60) * 1000));
      expect(await wakeOutboxOf(t, c.agent.agent.id)).toMatchObject([{ status: 'failed', last_error: 'HTTP 503' }]);
    } finally {
      await Promise.all([limited.close(), redirecting.close(), down.close()]);
    }
  });

  it('times out a receiver that hangs without holding up another agent’s wake', async () => {
    const hanging = await startReceiver(() => 'hang');
    const fine = await startReceiver();
    try {
      const slow = await hooked(hanging.url);
      const quick = await hooked(fine.url);
      await mention(slow.agent);
      await mention(quick.agent);
      const started = Date.now();
      expect(await wakeRound(t)).toEqual({ queued: 2, sent: 2 });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(fine.received).toHaveLength(1);
      expect(await wakeOutboxOf(t, quick.agent.agent.id)).toMatchObject([{ status: 'delivered' }]);
      expect(await wakeOutboxOf(t, slow.agent.agent.id)).toMatchObject([
        { status: 'pending', last_error: 'timed out' },
      ]);
    } finally {
      await Promise.all([hanging.close(), fine.close()]);
    }
  });

  it('coalesces: the first mention wakes at once, those within the window share one call at its end', async () => {
    const receiver = await startReceiver();
    try {
      const { agent } = await hooked(receiver.url, { coalesce_seconds: 60 });
      const t0 = Date.now() + 1000;
      const at = (seconds: number) => new Date(t0 + seconds * 1000);
      const first = await mention(agent, { at: at(0) });
      expect((await wakeRound(t, at(3))).queued).toBe(1);
      const during = [
        await mention(agent, { at: at(10) }),
        await mention(agent, { at: at(20) }),
        await mention(agent, { at: at(30) }),
      ];
      expect((await wakeRound(t, at(40))).queued).toBe(0);
      expect((await wakeRound(t, at(62))).queued).toBe(0);
      expect((await wakeRound(t, at(64))).queued).toBe(1);
      const after = await mention(agent, { at: at(200) });
      expect((await wakeRound(t, at(203))).queued).toBe(1);

      const calls = receiver.received.map((r) => r.body as { count: number; messages: { id: string }[] });
      expect(calls.map((c) => c.count)).toEqual([1, 3, 1]);
      expect(calls[0]?.messages.map((m) => m.id)).toEqual([first.id]);
      expect(calls[1]?.messages.map((m) => m.id)).toEqual(during.map((m) => m.id));
      expect(calls[2]?.messages.map((m) => m.id)).toEqual([after.id]);
      const ids = await wakeIdsOf(t, [first.id, ...during.map((m) => m.id), after.id]);
      expect(new Set(ids).size).toBe(3);
    } finally {
      await receiver.close();
    }
  });

  it('wakes for an @room mention only the agents that opted in; direct messages always wake', async () => {
    const receiver = await startReceiver();
    try {
      const optedIn = await hooked(receiver.url, { wake_on_room_mentions: true });
      const notOptedIn = await hooked(receiver.url);
      await mention(optedIn.agent, { reason: 'room_mention' });
      await mention(notOptedIn.agent, { reason: 'room_mention' });
      await wakeRound(t);
      expect(receiver.received.map((r) => (r.body as { agent: { id: string } }).agent.id)).toEqual([
        optedIn.agent.agent.id,
      ]);
      await mention(notOptedIn.agent, { reason: 'direct' });
      await wakeRound(t);
      const last = receiver.received.at(-1)?.body as { agent: { id: string }; messages: { reason: string }[] };
      expect(last.agent.id).toBe(notOptedIn.agent.agent.id);
      expect(last.messages.map((m) => m.reason)).toEqual(['direct']);
    } finally {
      await receiver.close();
    }
  });

  it('never wakes an agent a socket already reached, nor for what it acknowledged', async () => {
    const receiver = await startReceiver();
    try {
      const { agent } = await hooked(receiver.url);
      const delivered = await mention(agent);
      const acknowledged = await mention(agent);
      await t.database.db.execute(
        sql`update message_recipients set delivered_at = now() where message_id = ${delivered.id}`,
      );
      await t.database.db.execute(
        sql`update message_recipients set acknowledged_at = now() where message_id = ${acknowledged.id}`,
      );
      expect(await wakeRound(t)).toEqual({ queued: 0, sent: 0 });
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  it('never wakes a deactivated agent, and drops a queued wake when its agent is deactivated meanwhile', async () => {
    const receiver = await startReceiver();
    try {
      const before = await hooked(receiver.url);
      await mention(before.agent);
      const deactivate = (agent: RoomAgent) =>
        t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.agent.id}/deactivate`, headers: owner.headers });
      expect((await deactivate(before.agent)).statusCode).toBe(200);
      expect(await wakeRound(t)).toEqual({ queued: 0, sent: 0 });

      const meanwhile = await hooked(receiver.url);
      await mention(meanwhile.agent);
      expect(await t.ctx.services.wake.scan.tick(new Date(Date.now() + 5000))).toBe(1);
      expect((await deactivate(meanwhile.agent)).statusCode).toBe(200);
      await t.ctx.services.wake.delivery.tick(new Date(Date.now() + 5000));
      expect(await wakeOutboxOf(t, meanwhile.agent.agent.id)).toMatchObject([
        { status: 'failed', last_error: 'the agent is not active' },
      ]);
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  it('counts wake calls in Prometheus', async () => {
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.body).toMatch(/agenthub_wake_calls_total\{result="delivered"\} [1-9]/);
    expect(res.body).toMatch(/agenthub_wake_calls_total\{result="retry"\} [1-9]/);
    expect(res.body).toMatch(/agenthub_wakes_queued_total [1-9]/);
    expect(res.body).toMatch(/agenthub_wake_messages_total [1-9]/);
  });
});

describe('wake hooks without WAKE_HOOK_ALLOW_PRIVATE', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('refuses a loopback, link-local or private target with 400 and stores nothing', async () => {
    const admin = await signInAdmin(t);
    const agent = await createRoomAgent(t, admin);
    for (const url of [
      'http://127.0.0.1:8080/wake',
      'http://169.254.169.254/latest',
      'http://10.1.2.3/',
      'http://[::1]/',
    ]) {
      const res = await putWakeHook(t, agent, { url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json<{ message: string }>().message).toContain('WAKE_HOOK_ALLOW_PRIVATE');
    }
    const read = await t.app.inject({ url: '/api/v1/agents/me/wake-hook', headers: bearer(agent.jwt) });
    expect(read.json()).toEqual({ wake_hook: null });
  });
});
