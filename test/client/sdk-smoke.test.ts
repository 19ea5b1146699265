import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient } from '../../src/client/index.js';
import type { UserActor } from '../../src/identity/actor.model.js';
import { startTestServer, type TestApp } from '../harness/app.js';

describe('SDK smoke', () => {
  let t: TestApp & { url: string };
  let actor: UserActor;
  beforeAll(async () => {
    t = await startTestServer({ config: { DEVICE_POLL_INTERVAL: 1 } });
    const { user } = await t.ctx.services.users.create({ email: 'o@example.com', name: 'O' });
    actor = {
      kind: 'user',
      user: { id: user.id, email: user.email, name: user.name, role: 'user', plan: 'free' },
      sessionId: 'x',
      teams: new Map(),
    };
  });
  afterAll(() => t.close());

  it('links through the device flow, sends metrics, and talks in a room with replay', async () => {
    const client = new AgentHubClient({ server: t.url });
    const tokens = await client.link({
      deviceName: 'sdk',
      serverId: 'srv-sdk',
      fingerprint: 'fp',
      onCode: (a) => void t.ctx.services.devices.approve({ userCode: a.userCode }, actor, '127.0.0.1'),
    });
    expect(tokens.refreshToken).toMatch(/^agr_/);
    const now = Math.floor(Date.now() / 1000);
    expect(await client.sendMetrics('srv-sdk', { timestamp: now, metrics: { cpu: { usage: 5 } } })).toMatchObject({
      accepted: 1,
    });
    const { agent } = await client.me();
    const { room } = await t.ctx.services.rooms.create(actor, { slug: 'r', name: 'R' });
    await t.ctx.services.rooms.addMember(room.id, agent.id, actor);

    const rt = client.realtime();
    const got: number[] = [];
    rt.on('message', (m) => got.push(m.seq));
    await rt.connect();
    await rt.join(room.id);
    await rt.send(room.id, 'one');
    await t.ctx.services.rooms.send(actor, { roomId: room.id, body: 'two' });
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([1, 2]);
    rt.close();
    const positions = rt.positions();
    await t.ctx.services.rooms.send(actor, { roomId: room.id, body: 'three' });
    const again = client.realtime({ since: positions });
    const later: number[] = [];
    again.on('message', (m) => later.push(m.seq));
    await again.connect();
    expect(later).toEqual([3]);
    again.close();
  });
});
