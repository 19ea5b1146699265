import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, scrape, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, until } from '../harness/sockets.js';

/** The server pings every 10 s and gives up 20 s later: a silent socket is gone after at most 30 s. */
const HEARTBEAT_DEADLINE_MS = 30_000;

/**
 * Makes a connected client go silent like a host that lost its network: it
 * still receives, but nothing it writes (pongs included) reaches the server,
 * and it never closes the connection itself.
 */
function silence(socket: Socket): void {
  const engine = socket.io.engine as unknown as { _sendPacket: () => void };
  engine._sendPacket = () => undefined;
}

describe('liveness of agent sockets', () => {
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

  it(
    'prunes a socket that stops answering heartbeats from presence and the connected gauge within 30 s',
    async () => {
      const observer = await connectAgent(t.url, (await createRoomAgent(t, admin, { rooms: [room.id] })).jwt);
      const quiet = await createRoomAgent(t, admin, { rooms: [room.id] });
      const client = await connectAgent(t.url, quiet.jwt);
      expect((await scrape(t, 'agenthub_agents_connected')).get('')).toBe(2);
      const silentSince = Date.now();
      silence(client.socket);

      const left = await until(
        'the silent agent to leave',
        () => observer.presence.find((p) => p.left.some((a) => a.agent_id === quiet.agent.id)),
        HEARTBEAT_DEADLINE_MS + 15_000,
      );
      const waited = Date.now() - silentSince;
      expect(left.room_id).toBe(room.id);
      // Not pruned early (the first unanswered ping is 10 s in), and not later than the deadline plus slack.
      expect(waited).toBeGreaterThan(9_000);
      expect(waited).toBeLessThan(HEARTBEAT_DEADLINE_MS + 10_000);
      expect((await scrape(t, 'agenthub_agents_connected')).get('')).toBe(1);
      const ack = await observer.ask('room:join', { room_id: room.id });
      expect(ack).toMatchObject({ ok: true, presence: [{ agent_id: observer.hello.agent_id }] });
    },
    HEARTBEAT_DEADLINE_MS + 30_000,
  );

  it('disconnects the sockets of a deactivated agent within a second of the answer', async () => {
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, agent.jwt);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${agent.agent.id}/deactivate`,
      headers: admin.headers,
    });
    const answeredAt = Date.now();
    expect(res.statusCode).toBe(200);
    await client.disconnected;
    expect(Date.now() - answeredAt).toBeLessThan(1000);
  });

  it('disconnects the sockets of a regenerated agent token within a second, telling them why', async () => {
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, agent.jwt);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${agent.agent.id}/regenerate-token`,
      headers: admin.headers,
    });
    const answeredAt = Date.now();
    expect(res.statusCode).toBe(201);
    expect(await client.disconnected).toBe('io server disconnect');
    expect(Date.now() - answeredAt).toBeLessThan(1000);
    expect(client.errors).toContainEqual(expect.objectContaining({ error: 'revoked' }));
  });
});
