import { createSecretKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { exchange, issueToken, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, refusal } from '../harness/sockets.js';

describe('the /agents handshake and revocation', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let room: WireRoom;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    room = await createRoom(t, admin);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  /** An access JWT for `agent` signed with the server's key, with claims of our choosing. */
  function forge(agent: RoomAgent, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    return jwt.sign(
      {
        iss: t.config.JWT_ISSUER,
        aud: t.config.JWT_AUDIENCE,
        sub: agent.agent.id,
        owner: agent.agent.owner_id,
        team: null,
        server_id: agent.agent.server_id,
        role: 'agent',
        name: agent.agent.name,
        scope: '',
        cid: agent.credentialId,
        jti: randomUUID(),
        iat: now,
        exp: now + 600,
        ...claims,
      },
      createSecretKey(Buffer.from(t.config.jwtSecret)),
      { algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt', ...header } },
    );
  }

  it('refuses a handshake without a token as unauthorized', async () => {
    const error = await refusal(t.url, undefined);
    expect(error.data?.code).toBe('unauthorized');
  });

  it('refuses a garbage token, an empty one and one signed with another key as unauthorized', async () => {
    const agent = await createRoomAgent(t, admin);
    const otherKey = jwt.sign({ sub: agent.agent.id }, 'some-other-secret-0123456789abcdefghijkl', {
      header: { alg: 'HS256', typ: 'at+jwt' },
    });
    for (const token of ['garbage', '', 'a.b.c', otherKey, forge(agent, {}, { typ: 'JWT' })]) {
      const error = await refusal(t.url, token);
      expect(error.data?.code, token).toBe('unauthorized');
    }
  });

  it('answers an expired access token with token_expired', async () => {
    const agent = await createRoomAgent(t, admin);
    const now = Math.floor(Date.now() / 1000);
    const expired = forge(agent, { iat: now - 960, exp: now - 60 });
    expect((await refusal(t.url, expired)).data?.code).toBe('token_expired');
    expect((await refusal(t.url, expired, { via: 'query' })).data?.code).toBe('token_expired');
  });

  it('accepts the token in the ?token= query as well as in auth, and says connected with the rooms', async () => {
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    for (const via of ['auth', 'query'] as const) {
      const client = await connectAgent(t.url, agent.jwt, { via });
      expect(client.hello).toEqual({
        agent_id: agent.agent.id,
        rooms: [{ id: room.id, slug: room.slug, last_seq: 0 }],
      });
      client.socket.close();
    }
  });

  it('refuses the tokens of a deactivated agent and of a revoked credential as unauthorized', async () => {
    const deactivated = await createRoomAgent(t, admin);
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${deactivated.agent.id}/deactivate`,
      headers: admin.headers,
    });
    expect((await refusal(t.url, deactivated.jwt)).data?.code).toBe('unauthorized');

    const revoked = await createRoomAgent(t, admin);
    await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${revoked.prefix}`, headers: admin.headers });
    expect((await refusal(t.url, revoked.jwt)).data?.code).toBe('unauthorized');
  });

  it('disconnects every socket of an agent when a person deactivates it, telling it why', async () => {
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const sockets = [await connectAgent(t.url, agent.jwt), await connectAgent(t.url, agent.jwt)];
    const bystander = await connectAgent(t.url, (await createRoomAgent(t, admin, { rooms: [room.id] })).jwt);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${agent.agent.id}/deactivate`,
      headers: admin.headers,
    });
    expect(res.statusCode).toBe(200);
    for (const client of sockets) {
      // Server-initiated: a ping timeout would take pingInterval + pingTimeout (30 s) and say so.
      expect(await client.disconnected).toBe('io server disconnect');
      expect(client.errors).toContainEqual(expect.objectContaining({ error: 'revoked' }));
    }
    expect(bystander.socket.connected).toBe(true);
    expect((await refusal(t.url, agent.jwt)).data?.code).toBe('unauthorized');
  });

  it('disconnects the sockets of a revoked credential and keeps those of the same agent on another one', async () => {
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const second = await issueToken(t, admin, agent.agent.id);
    const onRevoked = await connectAgent(t.url, agent.jwt);
    const onOther = await connectAgent(t.url, await exchange(t, second.token));
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${agent.prefix}`,
      headers: admin.headers,
    });
    expect(res.statusCode).toBe(204);
    expect(await onRevoked.disconnected).toBe('io server disconnect');
    expect(onRevoked.errors).toContainEqual(expect.objectContaining({ error: 'revoked' }));
    const ack = await onOther.send(room.id, 'still here');
    expect(ack).toMatchObject({ ok: true });
    expect(onOther.socket.connected).toBe(true);
  });
});
