import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent } from '../harness/rooms.js';
import { closeAllSockets, connectAgent } from '../harness/sockets.js';

/** What lets a fleet run behind a load balancer without sticky sessions. */
describe('SOCKET_TRANSPORTS=websocket', () => {
  let t: TestApp & { url: string };
  let admin: Person;

  beforeAll(async () => {
    t = await startTestServer({ config: { SOCKET_TRANSPORTS: ['websocket'] } });
    admin = await signInAdmin(t);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('refuses a long-polling handshake, whose later requests would need the same instance', async () => {
    const res = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ message: 'Transport unknown' });
  });

  it('accepts agents over WebSocket', async () => {
    const room = await createRoom(t, admin);
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, agent.jwt);
    expect(client.hello.rooms.map((r) => r.id)).toEqual([room.id]);
    expect(await client.send(room.id, 'over websocket')).toMatchObject({ ok: true });
  });
});
