import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient, type Message } from '../../src/client/index.js';
import type { UserActor } from '../../src/identity/actor.model.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createOwner, linkClient, waitFor } from '../harness/sdk.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';

/**
 * The SDK's realtime client across a dropped connection: the socket goes
 * through a TCP proxy that the test pauses (every connection reset, new ones
 * refused) and resumes, while a person keeps posting to the room.
 */
describe('SDK realtime: reconnect and replay', () => {
  let t: TestApp & { url: string };
  let proxy: TcpProxy;
  let owner: UserActor;

  beforeAll(async () => {
    t = await startTestServer({ config: { DEVICE_POLL_INTERVAL: 1 } });
    const target = new URL(t.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    owner = await createOwner(t);
  });
  afterAll(async () => {
    await proxy.close();
    await t.close();
  });

  it('delivers what was posted while the connection was down, in order and once, before newer messages', async () => {
    const client = new AgentHubClient({ server: proxy.url(t.url) });
    const { agentId } = await linkClient(t, owner, client, { serverId: 'srv-realtime' });
    const { room } = await t.ctx.services.rooms.create(owner, { slug: 'replay-room', name: 'Replay' });
    await t.ctx.services.rooms.addMember(room.id, agentId, owner);
    const post = (body: string) => t.ctx.services.rooms.send(owner, { roomId: room.id, body });

    const realtime = client.realtime();
    const received: Message[] = [];
    const disconnects: string[] = [];
    let connects = 0;
    realtime.on('message', (m) => received.push(m));
    realtime.on('disconnected', (reason) => disconnects.push(reason));
    realtime.on('connected', () => (connects += 1));
    await realtime.connect();
    await realtime.join(room.id);
    await post('before 1');
    await post('before 2');
    await waitFor(() => received.length === 2, 'the live messages');

    proxy.pause('refuse');
    await waitFor(() => disconnects.length === 1, 'the disconnect');
    for (let i = 1; i <= 5; i++) await post(`while down ${i}`);
    proxy.resume();
    await waitFor(() => connects === 2, 'the reconnect');
    await post('after');
    await waitFor(() => received.length === 8, 'every message');
    realtime.close();

    expect(received.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(received.map((m) => m.body)).toEqual([
      'before 1',
      'before 2',
      'while down 1',
      'while down 2',
      'while down 3',
      'while down 4',
      'while down 5',
      'after',
    ]);
    expect(realtime.positions()).toEqual({ [room.id]: 8 });
  }, 90_000);

  it('gives every REST post a client_msg_id, so a retried post is stored once', async () => {
    const client = new AgentHubClient({ server: t.url });
    const { agentId } = await linkClient(t, owner, client, { serverId: 'srv-post' });
    const { room } = await t.ctx.services.rooms.create(owner, { slug: 'post-room', name: 'Post' });
    await t.ctx.services.rooms.addMember(room.id, agentId, owner);
    const { message } = await client.postMessage('post-room', 'hello');
    expect(message.client_msg_id).toMatch(/^[0-9a-f-]{36}$/);
    const again = await client.postMessage('post-room', 'hello', message.client_msg_id ?? '');
    expect(again.message.id).toBe(message.id);
  });
});
