import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserActor } from '../../src/identity/actor.model.js';
import { startTestServer, type TestApp } from '../harness/app.js';

const REDIS_URL = process.env['REDIS_URL'];
// Its own keys and channels: test files run in parallel against the one local Redis.
const REDIS_PREFIX = `agenthub-test-${randomBytes(5).toString('hex')}`;

describe.runIf(REDIS_URL)('two instances over Redis (smoke)', () => {
  let a: TestApp & { url: string };
  let b: TestApp & { url: string };
  const sockets: Socket[] = [];
  beforeAll(async () => {
    a = await startTestServer({ config: { REDIS_URL, REDIS_PREFIX } });
    b = await startTestServer({ config: { REDIS_URL, REDIS_PREFIX }, database: a.database });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await b.close();
    await a.close();
  });

  it('delivers across instances and drops a revoked agent on the other instance', async () => {
    const s = a.ctx.services;
    const { user } = await s.users.create({ email: `o${Date.now()}@example.com`, name: 'O' });
    const actor: UserActor = {
      kind: 'user',
      user: { id: user.id, email: user.email, name: user.name, role: 'admin', plan: 'free' },
      sessionId: 'x',
      teams: new Map(),
    };
    const { room } = await s.rooms.create(actor, { slug: 'x', name: 'X' });
    const tokens: string[] = [];
    const ids: string[] = [];
    for (const name of ['a1', 'a2']) {
      const { agent } = await s.agents.create({ name }, { actor });
      await s.rooms.addMember(room.id, agent.id, actor);
      const { credential } = await s.credentials.issueApiToken(agent, {}, {});
      tokens.push(
        s.accessTokens.issue(
          { id: agent.id, name, ownerId: user.id, teamId: null, serverId: null, role: 'agent' },
          credential.id,
          [],
        ).token,
      );
      ids.push(agent.id);
    }
    const connect = (url: string, token: string) =>
      new Promise<Socket>((resolve, reject) => {
        const socket = io(`${url}/agents`, { auth: { token }, transports: ['websocket'], reconnection: false });
        sockets.push(socket);
        socket.once('connected', () => resolve(socket));
        socket.once('connect_error', reject);
      });
    const onA = await connect(a.url, tokens[0]!);
    const onB = await connect(b.url, tokens[1]!);
    const received = new Promise<{ body: string }>((resolve) => onB.once('message:new', resolve));
    await onA.emitWithAck('message:send', { room_id: room.id, body: 'across' });
    expect((await received).body).toBe('across');
    const dropped = new Promise<void>((resolve) => onB.once('disconnect', () => resolve()));
    await a.ctx.services.agents.deactivate(ids[1]!, { actor });
    await dropped;
    const ready = await b.app.inject('/readyz');
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { db: 'ok', redis: 'ok' } });
  });
});
