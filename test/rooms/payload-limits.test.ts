import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_EVENTS } from '../../src/realtime/socket-events.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin } from '../harness/identity.js';
import { createRoom, createRoomAgent, storedSeqs, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, type AgentClient } from '../harness/sockets.js';

/**
 * Issue 24, item 3: a socket event over its own limit but under the transport bound (SOCKET_MAX_FRAME_BYTES,
 * 1 MiB) is answered with the error ack payload_too_large and its limit, and the socket stays connected; only
 * a frame over the transport bound closes it (socket.io's reason: "transport close").
 */
const MESSAGE_MAX_BYTES = 16_384;
const KB = 1024;

describe('socket payloads over their limit (real socket.io client)', () => {
  let t: TestApp & { url: string };
  let room: WireRoom;
  let agent: RoomAgent;

  beforeAll(async () => {
    t = await startTestServer({ config: { MESSAGE_MAX_BYTES } });
    const admin = await signInAdmin(t);
    room = await createRoom(t, admin);
    agent = await createRoomAgent(t, admin, { rooms: [room.id] });
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  async function expectStillServing(client: AgentClient): Promise<void> {
    expect(client.socket.connected).toBe(true);
    expect(await client.send(room.id, 'still here')).toMatchObject({ ok: true });
  }

  it('answers a 100 KB message:send with payload_too_large and the limit, stores nothing, and keeps the socket', async () => {
    const client = await connectAgent(t.url, agent.jwt);
    const before = await storedSeqs(t, room.id);
    const ack = await client.send(room.id, 'x'.repeat(100 * KB));
    expect(ack).toMatchObject({ ok: false, error: 'payload_too_large', limit: MESSAGE_MAX_BYTES });
    expect(await storedSeqs(t, room.id)).toEqual(before);
    await expectStillServing(client);
    client.socket.close();
  });

  it('answers every other event over its own limit the same way, the socket staying connected', async () => {
    const client = await connectAgent(t.url, agent.jwt);
    const padding = 'x'.repeat(100 * KB);
    const oversized: Record<(typeof CLIENT_EVENTS)[number], unknown> = {
      'room:join': { room_id: room.id, padding },
      'room:leave': { room_id: padding },
      'auth:refresh': { token: padding },
      'message:send': { room_id: room.id, body: padding },
      'dm:send': { agent_id: agent.agent.id, body: padding },
      'inbox:ack': { message_ids: [padding] },
      claim: { room_id: room.id, resource: 'task:1', ttl_seconds: 60, note: padding },
      'claim:renew': { room_id: room.id, claim_id: padding, ttl_seconds: 60 },
      'claim:release': { room_id: room.id, claim_id: padding },
      'claims:list': { room_id: padding },
    };
    for (const event of CLIENT_EVENTS) {
      const ack = await client.ask(event, oversized[event]);
      expect(ack, event).toMatchObject({ ok: false, error: 'payload_too_large', limit: expect.any(Number) });
    }
    await expectStillServing(client);
    client.socket.close();
  });

  it('closes the socket on a frame over SOCKET_MAX_FRAME_BYTES (1 MiB): the reason the client sees is transport close', async () => {
    const client = await connectAgent(t.url, agent.jwt);
    client.socket.emit('message:send', { room_id: room.id, body: 'x'.repeat(1100 * KB) });
    expect(await client.disconnected).toBe('transport close');
    // Another socket of the same agent is served as usual.
    const again = await connectAgent(t.url, agent.jwt);
    await expectStillServing(again);
    again.socket.close();
  });
});
