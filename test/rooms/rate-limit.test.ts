import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, storedSeqs, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, oneTo, sleep, type AgentClient } from '../harness/sockets.js';

const RATE = 5;

describe('the per-socket event rate limit', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let room: WireRoom;
  let agent: RoomAgent;

  beforeAll(async () => {
    t = await startTestServer({ config: { SOCKET_EVENTS_PER_SECOND: RATE } });
    admin = await signInAdmin(t);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  async function freshSocket(): Promise<AgentClient> {
    room = await createRoom(t, admin);
    agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    return connectAgent(t.url, agent.jwt);
  }

  /** Emits `n` sends at once; resolves with each ack. */
  const burst = (client: AgentClient, n: number) =>
    Promise.all(oneTo(n).map((i) => client.send(room.id, `burst ${i}`)));

  it('refuses events beyond the rate with rate_limited and stores none of them', async () => {
    const client = await freshSocket();
    const acks = await burst(client, 4 * RATE);
    const accepted = acks.filter((a) => a.ok);
    const refused = acks.filter((a) => !a.ok);
    // The bucket starts full: the first RATE always pass.
    expect(accepted.length).toBeGreaterThanOrEqual(RATE);
    expect(refused.length).toBeGreaterThan(0);
    for (const ack of refused)
      expect(ack).toEqual({ ok: false, error: 'rate_limited', message: expect.any(String) as string });
    expect(await storedSeqs(t, room.id)).toEqual(oneTo(accepted.length));
    expect(client.socket.connected).toBe(true);
  });

  it('limits each socket on its own: another socket of the same agent still sends', async () => {
    const client = await freshSocket();
    expect((await burst(client, 4 * RATE)).some((a) => !a.ok)).toBe(true);
    const other = await connectAgent(t.url, agent.jwt);
    expect(await other.send(room.id, 'from the other socket')).toMatchObject({ ok: true });
  });

  it('lets a throttled socket send again once the bucket refills', async () => {
    const client = await freshSocket();
    expect((await burst(client, 4 * RATE)).some((a) => !a.ok)).toBe(true);
    await sleep(1000);
    expect(await client.send(room.id, 'after a pause')).toMatchObject({ ok: true });
  });

  it('disconnects a sustained flood with an error event rate_limited', async () => {
    const client = await freshSocket();
    for (let i = 0; i < 200; i++) client.socket.emit('message:send', { room_id: room.id, body: `flood ${i}` });
    expect(await client.disconnected).toBe('io server disconnect');
    expect(client.errors).toContainEqual({ error: 'rate_limited', message: expect.any(String) as string });
    expect((await storedSeqs(t, room.id)).length).toBeLessThan(200);
    // The agent itself is not banned: a new socket works.
    const again = await connectAgent(t.url, agent.jwt);
    expect(await again.send(room.id, 'behaving now')).toMatchObject({ ok: true });
  });
});
