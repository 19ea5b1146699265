import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, verifySignature } from '../harness/alerts.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { bearer, createUser, signInAdmin, type Person } from '../harness/identity.js';
import { closeAllMcp, connectMcp, postMcp, type McpSession } from '../harness/mcp.js';
import { createRoom, createRoomAgent, postMessage, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { wakeRound, type WireWakeHook } from '../harness/wake.js';

interface SetResult {
  wake_hook: WireWakeHook;
  secret: string | null;
}

/** What the REST route says the agent's hook is: the MCP tools must change exactly that. */
async function restHook(t: TestApp, agent: RoomAgent): Promise<WireWakeHook | null> {
  const res = await t.app.inject({ url: '/api/v1/agents/me/wake-hook', headers: bearer(agent.jwt) });
  expect(res.statusCode).toBe(200);
  return res.json<{ wake_hook: WireWakeHook | null }>().wake_hook;
}

describe('the MCP wake-hook tools', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let room: WireRoom;
  let sender: RoomAgent;
  let sleeper: RoomAgent;
  let other: RoomAgent;
  let asSleeper: McpSession;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const secrets: string[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestServer({
      captureLogs: true,
      config: { WAKE_HOOK_ALLOW_PRIVATE: true, WAKE_DELIVERY_TIMEOUT_MS: 1000 },
    });
    admin = await signInAdmin(t);
    owner = await createUser(t, admin);
    room = await createRoom(t, owner);
    // A fresh database: plain names. Each is a member of the room, so a mention of it is addressed to it.
    const member = (name: string) => createRoomAgent(t, admin, { owner, rooms: [room.id], name });
    [sender, sleeper, other] = await Promise.all([member('planner'), member('sleeper'), member('other')]);
    asSleeper = await connectMcp(t.url, sleeper.jwt);
  });
  afterAll(async () => {
    await closeAllMcp();
    // Whatever happened above, no secret reached a log line.
    const logs = t.logs.join('');
    expect(logs).toContain('/mcp');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    await t.close();
    await receiver.close();
  });

  it('offers set_wake_hook with exactly the REST body’s arguments, and get/delete with none', async () => {
    const { tools } = await asSleeper.client.listTools();
    const set = tools.find((tool) => tool.name === 'set_wake_hook');
    expect(Object.keys(set?.inputSchema.properties ?? {})).toEqual([
      'url',
      'secret',
      'wake_on_room_mentions',
      'coalesce_seconds',
    ]);
    expect(set?.inputSchema.required).toEqual(['url']);
    expect(set?.inputSchema.properties?.['coalesce_seconds']).toMatchObject({ minimum: 0, maximum: 3600 });
    expect(set?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true });
    for (const name of ['get_wake_hook', 'delete_wake_hook'])
      expect(Object.keys(tools.find((tool) => tool.name === name)?.inputSchema.properties ?? {}), name).toEqual([]);
  });

  it('sets, reads and deletes the hook: the secret once, then never again, and REST sees the same hook', async () => {
    const set = await asSleeper.ok<SetResult>('set_wake_hook', {
      url: 'https://hooks.example.com/wake/abcd1234',
      coalesce_seconds: 10,
    });
    expect(set.secret).toMatch(/^whsec_/);
    secrets.push(set.secret ?? '');
    expect(set.wake_hook).toMatchObject({
      agent_id: sleeper.agent.id,
      url: 'https://hooks.example.com/…1234',
      wake_on_room_mentions: false,
      coalesce_seconds: 10,
    });
    expect(await restHook(t, sleeper)).toEqual(set.wake_hook);

    const read = await asSleeper.call('get_wake_hook');
    expect(read.structuredContent).toEqual({ wake_hook: set.wake_hook });
    expect(JSON.stringify(read)).not.toContain(set.secret);

    // An update without a secret keeps the stored one: null here, as REST answers.
    const update = await asSleeper.ok<SetResult>('set_wake_hook', {
      url: 'https://hooks.example.com/other',
      wake_on_room_mentions: true,
    });
    expect(update).toMatchObject({ secret: null, wake_hook: { wake_on_room_mentions: true, coalesce_seconds: 30 } });

    // Another agent has its own (none): no tool names another agent.
    const asOther = await connectMcp(t.url, other.jwt);
    expect(await asOther.ok('get_wake_hook')).toEqual({ wake_hook: null });

    expect(await asSleeper.ok('delete_wake_hook')).toEqual({ wake_hook: null });
    expect(await asSleeper.ok('get_wake_hook')).toEqual({ wake_hook: null });
    expect(await restHook(t, sleeper)).toBeNull();
    // Deleting again changes nothing and is no error.
    expect(await asSleeper.ok('delete_wake_hook')).toEqual({ wake_hook: null });
  });

  it('wakes the agent through the hook it set over MCP when a mention finds no socket of it', async () => {
    const set = await asSleeper.ok<SetResult>('set_wake_hook', {
      url: receiver.url,
      secret: 'a-secret-of-my-own-choosing',
      coalesce_seconds: 0,
    });
    secrets.push('a-secret-of-my-own-choosing');
    expect(set.secret).toBe('a-secret-of-my-own-choosing');
    const sent = await postMessage(t, sender, room.id, `@${sleeper.agent.name} the schema is ready`);
    expect(sent.statusCode).toBe(201);
    const messageId = sent.json<{ message: { id: string } }>().message.id;

    expect((await wakeRound(t)).queued).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [call] = receiver.received;
    expect(verifySignature('a-secret-of-my-own-choosing', call?.raw ?? '', call?.headers['x-agenthub-signature'])).toBe(
      true,
    );
    expect(call?.body).toMatchObject({
      type: 'wake',
      agent: { id: sleeper.agent.id },
      count: 1,
      messages: [{ id: messageId, reason: 'mention', sender: { id: sender.agent.id } }],
    });

    // Once deleted over MCP, the next mention wakes nobody.
    await asSleeper.ok('delete_wake_hook');
    expect((await postMessage(t, sender, room.id, `@${sleeper.agent.name} again`)).statusCode).toBe(201);
    expect((await wakeRound(t, new Date(Date.now() + 600_000))).queued).toBe(0);
    expect(receiver.received).toHaveLength(1);
  });

  it('answers a bad URL or window with a tool error naming the problem, and stores nothing', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ url: 'ftp://hooks.example.com/wake' }, /an http\(s\) URL at url/],
      [{ url: 'not a url' }, /http\(s\) URL/],
      [{ url: 'https://hooks.example.com/wake', coalesce_seconds: 3601 }, /coalesce_seconds/],
      [{ url: 'https://hooks.example.com/wake', secret: 'short' }, /secret/],
      [{ url: 'https://hooks.example.com/wake', agent_id: other.agent.id }, /agent_id/],
    ];
    for (const [args, named] of cases)
      expect(await asSleeper.fails('set_wake_hook', args), JSON.stringify(args)).toMatch(named);
    expect(await restHook(t, sleeper)).toBeNull();
    expect(await restHook(t, other)).toBeNull();
  });

  it('is for agents only: a person’s session gets 401 from /mcp and stores nothing', async () => {
    const res = await postMcp(
      t.url,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'set_wake_hook', arguments: { url: 'https://hooks.example.com/person' } },
      },
      owner.headers,
    );
    expect(res.status).toBe(401);
    const byOwner = await t.app.inject({ url: `/api/v1/agents/${sleeper.agent.id}/wake-hook`, headers: owner.headers });
    expect(byOwner.json()).toEqual({ wake_hook: null });
  });
});

describe('the MCP wake-hook tools without WAKE_HOOK_ALLOW_PRIVATE', () => {
  let t: TestApp & { url: string };
  let agent: RoomAgent;
  let mcp: McpSession;

  beforeAll(async () => {
    t = await startTestServer();
    agent = await createRoomAgent(t, await signInAdmin(t));
    mcp = await connectMcp(t.url, agent.jwt);
  });
  afterAll(async () => {
    await closeAllMcp();
    await t.close();
  });

  it('refuses a loopback, link-local or private target with a tool error, as REST does, and stores nothing', async () => {
    for (const url of [
      'http://127.0.0.1:8080/wake',
      'http://169.254.169.254/latest',
      'http://10.1.2.3/',
      'http://[::1]/',
    ]) {
      const text = await mcp.fails('set_wake_hook', { url });
      expect(text, url).toContain('The wake hook target is refused: a loopback, link-local or private address');
      expect(text, url).toContain('WAKE_HOOK_ALLOW_PRIVATE');
      expect(text, url).toMatch(/\(invalid_request\)$/);
    }
    expect(await mcp.ok('get_wake_hook')).toEqual({ wake_hook: null });
    expect(await restHook(t, agent)).toBeNull();
  });
});
