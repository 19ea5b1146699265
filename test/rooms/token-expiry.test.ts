import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAccessTokens } from '../../src/identity/access-tokens.jwt.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { exchange, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, sleep } from '../harness/sockets.js';

/** Access tokens live 4 s here, so live sockets meet their expiry within the test. */
const TTL_SECONDS = 4;

describe('access token expiry on live sockets', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let room: WireRoom;
  let agent: RoomAgent;

  beforeAll(async () => {
    t = await startTestServer({ config: { ACCESS_TOKEN_TTL: TTL_SECONDS } });
    admin = await signInAdmin(t);
    room = await createRoom(t, admin);
    agent = await createRoomAgent(t, admin, { rooms: [room.id] });
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  /** A genuine token of the same agent and credential that outlives the test (same key, longer TTL). */
  function longLivedToken(of: RoomAgent): string {
    const tokens = createAccessTokens({ ...t.config, ACCESS_TOKEN_TTL: 600 });
    const a = of.agent;
    return tokens.issue(
      { id: a.id, name: a.name, ownerId: a.owner_id, teamId: a.team_id, serverId: a.server_id, role: 'agent' },
      of.credentialId,
      [],
    ).token;
  }

  it('disconnects a socket whose token expired with an error event token_expired, and keeps one refreshed in time', async () => {
    const jwt = await exchange(t, agent.token);
    // Both sockets start on the same token, so they share one deadline.
    const lapsing = await connectAgent(t.url, jwt);
    const refreshed = await connectAgent(t.url, jwt);
    const refresh = await refreshed.ask('auth:refresh', { token: longLivedToken(agent) });
    expect(refresh).toMatchObject({ ok: true });
    expect(Date.parse(String(refresh.ok && refresh['expires_at']))).toBeGreaterThan(Date.now() + 60_000);

    expect(await lapsing.disconnected).toBe('io server disconnect');
    expect(lapsing.errors).toEqual([{ error: 'token_expired', message: expect.any(String) as string }]);
    // The refreshed socket's old deadline has passed with the other's; give its timer room to misfire.
    await sleep(500);
    expect(refreshed.socket.connected).toBe(true);
    expect(await refreshed.send(room.id, 'after the first token expired')).toMatchObject({ ok: true });
  });

  it('refuses auth:refresh with a token of another agent, an expired one or garbage, keeping the identity', async () => {
    const other = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, longLivedToken(agent));
    expect(await client.ask('auth:refresh', { token: longLivedToken(other) })).toEqual({
      ok: false,
      error: 'unauthorized',
    });
    expect(await client.ask('auth:refresh', { token: 'garbage' })).toEqual({ ok: false, error: 'unauthorized' });
    expect(await client.ask('auth:refresh', 'not an object')).toEqual({ ok: false, error: 'unauthorized' });
    expect(await client.ask('auth:refresh', { token: expired(await exchange(t, agent.token)) })).toEqual({
      ok: false,
      error: 'token_expired',
    });

    const ack = await client.send(room.id, 'who am I?');
    expect(ack).toMatchObject({ ok: true, message: { sender_id: agent.agent.id } });
  });

  it('answers auth:refresh with unavailable instead of crashing when authentication fails unexpectedly', async () => {
    const client = await connectAgent(t.url, longLivedToken(agent));
    const spy = vi
      .spyOn(t.ctx.services.credentials, 'authenticateAccessToken')
      .mockRejectedValueOnce(new Error('database unreachable'));
    try {
      expect(await client.ask('auth:refresh', { token: longLivedToken(agent) })).toEqual({
        ok: false,
        error: 'unavailable',
      });
    } finally {
      spy.mockRestore();
    }
    expect(await client.send(room.id, 'still serving')).toMatchObject({ ok: true });
  });

  /** The same genuine token re-signed with an exp a minute ago. */
  function expired(token: string): string {
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    return jwt.sign({ ...payload, iat: now - 120, exp: now - 60 }, createSecretKey(Buffer.from(t.config.jwtSecret)), {
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'at+jwt' },
    });
  }
});
