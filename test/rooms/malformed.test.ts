import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, storedSeqs, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, roundTrip, type AgentClient } from '../harness/sockets.js';

const UUID = '6f1c2b9e-3d4a-4c8b-9e7f-0a1b2c3d4e5f';

/** Payloads that are not objects at all, for every event. */
const NOT_OBJECTS: unknown[] = [undefined, null, 'room', 42, true, [], ['a', 'b']];

/** Object payloads with missing fields or fields of the wrong type, per event. */
const BAD_FIELDS: Record<string, (roomId: string) => unknown[]> = {
  'room:join': (roomId) => [
    {},
    { room_id: 42 },
    { room_id: 'not-a-uuid' },
    { room_id: roomId, since_seq: 'ten' },
    { room_id: roomId, since_seq: -1 },
    { room_id: roomId, since_seq: 1.5 },
    { room_id: [roomId] },
  ],
  'room:leave': () => [{}, { room_id: 42 }, { room_id: 'not-a-uuid' }, { room_id: { $ne: null } }],
  'message:send': (roomId) => [
    {},
    { room_id: roomId },
    { body: 'no room' },
    { room_id: roomId, body: '' },
    { room_id: roomId, body: 42 },
    { room_id: roomId, body: { text: 'nested' } },
    { room_id: roomId, body: 'ok', client_msg_id: 42 },
    { room_id: roomId, body: 'ok', client_msg_id: '' },
    { room_id: roomId, body: 'ok', client_msg_id: 'x'.repeat(101) },
    { room_id: 'not-a-uuid', body: 'ok' },
  ],
};

describe('malformed socket payloads', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let room: WireRoom;
  let agent: RoomAgent;
  let client: AgentClient;
  let witness: AgentClient;

  beforeAll(async () => {
    // Many events in a burst: the rate limit has its own file.
    t = await startTestServer({ config: { SOCKET_EVENTS_PER_SECOND: 100_000 } });
    admin = await signInAdmin(t);
    room = await createRoom(t, admin);
    agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    client = await connectAgent(t.url, agent.jwt);
    witness = await connectAgent(t.url, (await createRoomAgent(t, admin, { rooms: [room.id] })).jwt);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it.each(['room:join', 'room:leave', 'message:send'])(
    'answers %s with invalid_request and details for non-objects, missing fields and wrong types',
    async (event) => {
      for (const payload of [...NOT_OBJECTS, ...BAD_FIELDS[event]!(room.id)]) {
        const ack = await client.ask(event, payload);
        expect(ack, JSON.stringify(payload)).toMatchObject({ ok: false, error: 'invalid_request' });
        expect(!ack.ok && ack.details?.length, JSON.stringify(payload)).toBeGreaterThan(0);
      }
      expect(client.socket.connected).toBe(true);
      expect(await storedSeqs(t, room.id)).toEqual([]);
    },
  );

  it('answers auth:refresh without a usable token with unauthorized', async () => {
    for (const payload of [...NOT_OBJECTS, {}, { token: 42 }, { token: '' }, { token: 'x'.repeat(5000) }]) {
      expect(await client.ask('auth:refresh', payload), JSON.stringify(payload)).toEqual({
        ok: false,
        error: 'unauthorized',
      });
    }
    expect(client.socket.connected).toBe(true);
  });

  it('refuses a body over MESSAGE_MAX_BYTES, counted in UTF-8 bytes, with payload_too_large', async () => {
    const max = t.config.MESSAGE_MAX_BYTES;
    const ascii = await client.send(room.id, 'a'.repeat(max + 1));
    expect(ascii).toMatchObject({ ok: false, error: 'payload_too_large' });
    // Fewer characters than the limit, more bytes: '€' is three bytes in UTF-8.
    const euros = await client.send(room.id, '€'.repeat(Math.floor(max / 3) + 1));
    expect(euros).toMatchObject({ ok: false, error: 'payload_too_large' });
    const exact = await client.send(room.id, 'a'.repeat(max));
    expect(exact).toMatchObject({ ok: true, message: { seq: 1 } });
    await roundTrip(witness);
    expect(witness.received.map((m) => m.body.length)).toEqual([max]);
  });

  it('survives every malformed event sent without an ack function, and keeps serving the socket', async () => {
    const before = await storedSeqs(t, room.id);
    for (const event of ['room:join', 'room:leave', 'message:send', 'auth:refresh']) {
      for (const payload of [...NOT_OBJECTS, ...(BAD_FIELDS[event]?.(room.id) ?? [{}])]) {
        client.socket.emit(event, payload);
        // Something other than a function where the ack goes.
        client.socket.emit(event, payload, 'not a function');
      }
    }
    client.socket.emit('message:send', { room_id: room.id, body: 'a'.repeat(t.config.MESSAGE_MAX_BYTES + 1) });
    client.socket.emit('no:such:event', { room_id: UUID });
    const ack = await client.send(room.id, 'still here');
    expect(ack).toMatchObject({ ok: true });
    expect(await storedSeqs(t, room.id)).toEqual([...before, before.length + 1]);
  });

  it('closes only the connection of a frame beyond the transport limit; the server keeps serving others', async () => {
    const before = await storedSeqs(t, room.id);
    const hog = await connectAgent(t.url, agent.jwt);
    hog.socket.emit('message:send', { room_id: room.id, body: 'a'.repeat(t.config.SOCKET_MAX_FRAME_BYTES + 10_000) });
    expect(await hog.disconnected).toBe('transport close');
    expect(await client.send(room.id, 'after the hog')).toMatchObject({ ok: true });
    expect(await storedSeqs(t, room.id)).toEqual([...before, before.length + 1]);
  });
});
