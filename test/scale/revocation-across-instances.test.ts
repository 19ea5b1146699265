import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, REDIS_URL, startFleet, type Fleet, type Instance } from '../harness/fleet.js';
import { exchange, issueToken, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, openSocket, roundTrip, until } from '../harness/sockets.js';

describe.runIf(REDIS_URL)('revocations across two instances', () => {
  let fleet: Fleet;
  let a: Instance;
  let b: Instance;
  let admin: Person;

  beforeAll(async () => {
    fleet = await startFleet(2);
    [a, b] = fleet.instances as [Instance, Instance];
    admin = await signInAdmin(a);
  });
  afterAll(async () => {
    closeAllSockets();
    await fleet.close();
  });

  /** 'accepted', or the code the handshake was refused with. */
  function handshake(on: Instance, token: string): Promise<string> {
    const socket = openSocket(on.url, token);
    return new Promise((resolve) => {
      socket.once('connect', () => {
        socket.close();
        resolve('accepted');
      });
      socket.once('connect_error', (error: Error & { data?: { code?: string } }) =>
        resolve(error.data?.code ?? error.message),
      );
    });
  }

  it('deactivating an agent on one instance drops its sockets on the other within a second, which say why once', async () => {
    const room = await createRoom(a, admin);
    const x = await createRoomAgent(a, admin, { rooms: [room.id] });
    const onB = await connectAgent(b.url, x.jwt);
    const alsoOnB = await connectAgent(b.url, x.jwt);

    const droppedAt = Promise.all([onB.disconnected, alsoOnB.disconnected]).then(() => Date.now());
    const res = await a.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${x.agent.id}/deactivate`,
      headers: admin.headers,
    });
    const answeredAt = Date.now();
    expect(res.statusCode).toBe(200);
    expect(await onB.disconnected).toBe('io server disconnect');
    expect(await alsoOnB.disconnected).toBe('io server disconnect');
    // The promise the issue makes: within a second of the deactivation being answered (a pub/sub hop).
    expect((await droppedAt) - answeredAt).toBeLessThan(1000);
    for (const client of [onB, alsoOnB]) expect(client.errors.map((e) => e.error)).toEqual(['revoked']);
    // The other instance refuses the old access token (the fan-out also cleared its cache of credential checks).
    await eventually('b refusing the old token', async () => (await handshake(b, x.jwt)) === 'unauthorized');
  });

  it("revoking one credential on one instance drops that credential's sockets on the other, not the agent's others", async () => {
    const room = await createRoom(a, admin);
    const x = await createRoomAgent(a, admin, { rooms: [room.id] });
    const second = await issueToken(a, admin, x.agent.id);
    const secondJwt = await exchange(a, second.token);
    const revoked = await connectAgent(b.url, x.jwt);
    const kept = await connectAgent(b.url, secondJwt);
    // Warm b's cache of the credential's status, which the revocation must clear.
    expect((await connectAgent(b.url, x.jwt)).hello.agent_id).toBe(x.agent.id);

    const res = await a.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${x.prefix}`, headers: admin.headers });
    expect(res.statusCode).toBe(204);
    expect(await revoked.disconnected).toBe('io server disconnect');
    expect(revoked.errors.map((e) => e.error)).toEqual(['revoked']);
    await eventually('b refusing the old token', async () => (await handshake(b, x.jwt)) === 'unauthorized');

    await roundTrip(kept);
    expect(kept.socket.connected).toBe(true);
    expect(await kept.send(room.id, 'still here')).toMatchObject({ ok: true });
    await until('no error on the kept socket', () => kept.errors.length === 0);
  });
});
