import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserActor } from '../../src/identity/actor.model.js';
import { startTestServer, type TestApp } from '../harness/app.js';

describe('rooms smoke', () => {
  let t: TestApp & { url: string };
  const jwts: string[] = [];
  let roomId: string;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    t = await startTestServer();
    const s = t.ctx.services;
    const { user } = await s.users.create({ email: 'o@example.com', name: 'O' });
    const actor: UserActor = {
      kind: 'user',
      user: { id: user.id, email: user.email, name: user.name, role: 'user', plan: 'free' },
      sessionId: 'x',
      teams: new Map(),
    };
    const { room } = await s.rooms.create(actor, { slug: 'general', name: 'General' });
    roomId = room.id;
    for (const name of ['a1', 'a2']) {
      const { agent } = await s.agents.create(
        { name, serverId: `srv-${name}` },
        { actor: { ...actor, user: { ...actor.user, role: 'admin' } } },
      );
      await s.rooms.addMember(room.id, agent.id, actor);
      const { credential } = await s.credentials.issueApiToken(agent, {}, {});
      jwts.push(
        s.accessTokens.issue(
          { id: agent.id, name, ownerId: user.id, teamId: null, serverId: `srv-${name}`, role: 'agent' },
          credential.id,
          [],
        ).token,
      );
    }
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t.close();
  });

  function connect(token: string): Promise<{ socket: Socket; hello: { rooms: { id: string; last_seq: number }[] } }> {
    const socket = io(`${t.url}/agents`, { auth: { token }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connected', (hello) => resolve({ socket, hello }));
      socket.once('connect_error', reject);
    });
  }

  it('refuses a garbage token with a connect_error code', async () => {
    const socket = io(`${t.url}/agents`, { auth: { token: 'nope' }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    const error = await new Promise<Error & { data?: { code: string } }>((resolve) =>
      socket.once('connect_error', resolve),
    );
    expect(error.data?.code).toBe('unauthorized');
  });

  it('delivers a sent message to the other member and replays it after reconnect', async () => {
    const a = await connect(jwts[0]!);
    const b = await connect(jwts[1]!);
    expect(a.hello.rooms.map((r) => r.id)).toEqual([roomId]);
    const received = new Promise<{ seq: number; body: string }>((resolve) => b.socket.once('message:new', resolve));
    const ack = await a.socket.emitWithAck('message:send', { room_id: roomId, body: 'hello', client_msg_id: 'm1' });
    expect(ack).toMatchObject({ ok: true, duplicate: false, message: { seq: 1, body: 'hello' } });
    expect(await received).toMatchObject({ seq: 1, body: 'hello' });
    const retry = await a.socket.emitWithAck('message:send', { room_id: roomId, body: 'hello', client_msg_id: 'm1' });
    expect(retry).toMatchObject({ ok: true, duplicate: true, message: { seq: 1 } });
    b.socket.close();
    await a.socket.emitWithAck('message:send', { room_id: roomId, body: 'while away' });
    const c = await connect(jwts[1]!);
    const join = await c.socket.emitWithAck('room:join', { room_id: roomId, since_seq: 1 });
    expect(join).toMatchObject({ ok: true, recovered: true, missed: [{ seq: 2, body: 'while away' }] });
    const bad = await c.socket.emitWithAck('message:send', { room_id: 'not-a-uuid', body: '' });
    expect(bad).toMatchObject({ ok: false, error: 'invalid_request' });
  });
});
