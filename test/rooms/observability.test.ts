import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, waitForAudit, type AuditEvent, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage, scrape, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, type WireMessage } from '../harness/sockets.js';

describe('rooms metrics and audit', () => {
  let t: TestApp & { url: string };
  let admin: Person;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  /** One unlabelled gauge's value. */
  const gauge = async (name: string) => (await scrape(t, name)).get('') ?? Number.NaN;
  const labelled = async (name: string, label: string) => (await scrape(t, name)).get(`{${label}}`) ?? 0;
  /** Polls a gauge until it shows `value` (gauges move when the server handles a disconnect). */
  const gaugeReaches = async (name: string, value: number) => {
    let last = Number.NaN;
    const read = async () => (last = await gauge(name));
    for (const deadline = Date.now() + 15_000; (await read()) !== value;) {
      if (Date.now() > deadline) throw new Error(`${name} stayed at ${last}, expected ${value}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('counts connected agents (not sockets) and rooms with someone present, up and down', async () => {
    const roomX = await createRoom(t, admin);
    const roomY = await createRoom(t, admin);
    const a = await createRoomAgent(t, admin, { rooms: [roomX.id, roomY.id] });
    const b = await createRoomAgent(t, admin, { rooms: [roomX.id] });
    expect(await gauge('agenthub_agents_connected')).toBe(0);
    expect(await gauge('agenthub_rooms_active')).toBe(0);

    const a1 = await connectAgent(t.url, a.jwt);
    const a2 = await connectAgent(t.url, a.jwt);
    expect(await gauge('agenthub_agents_connected')).toBe(1);
    expect(await gauge('agenthub_rooms_active')).toBe(2);
    const b1 = await connectAgent(t.url, b.jwt);
    expect(await gauge('agenthub_agents_connected')).toBe(2);

    const archived = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rooms/${roomY.id}/archive`,
      headers: admin.headers,
    });
    expect(archived.statusCode).toBe(200);
    expect(await gauge('agenthub_rooms_active')).toBe(1);

    a1.socket.close();
    await a1.disconnected;
    b1.socket.close();
    await gaugeReaches('agenthub_agents_connected', 1);
    a2.socket.close();
    await gaugeReaches('agenthub_agents_connected', 0);
    await gaugeReaches('agenthub_rooms_active', 0);
  });

  it('counts stored messages per room, over sockets and HTTP, and not retries or refusals', async () => {
    const room = await createRoom(t, admin);
    const other = await createRoom(t, admin);
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, agent.jwt);
    await client.send(room.id, 'one', 'once');
    await client.send(room.id, 'one', 'once');
    await client.send(room.id, 'two');
    await client.send(other.id, 'not a member');
    await postMessage(t, admin, room.id, 'three');
    expect(await labelled('agenthub_messages_total', `room_id="${room.id}"`)).toBe(3);
    expect(await labelled('agenthub_messages_total', `room_id="${other.id}"`)).toBe(0);
  });

  it('times every handled socket event by name, refusals included', async () => {
    const room = await createRoom(t, admin);
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, agent.jwt);
    const count = (event: string) => labelled('agenthub_websocket_latency_seconds_count', `event="${event}"`);
    const before = {
      send: await count('message:send'),
      join: await count('room:join'),
      leave: await count('room:leave'),
    };
    await client.send(room.id, 'timed');
    await client.send(room.id, '');
    await client.ask('room:join', { room_id: room.id, since_seq: 0 });
    await client.ask('room:leave', { room_id: room.id });
    expect(await count('message:send')).toBe(before.send + 2);
    expect(await count('room:join')).toBe(before.join + 1);
    expect(await count('room:leave')).toBe(before.leave + 1);
    const sum = await labelled('agenthub_websocket_latency_seconds_sum', 'event="message:send"');
    expect(sum).toBeGreaterThan(0);
  });

  it("writes a batched 'message.sent' audit row per stored message within about a second", async () => {
    const room = await createRoom(t, admin);
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, agent.jwt);
    const ack = await client.send(room.id, 'audited');
    const message = (ack.ok ? ack['message'] : undefined) as WireMessage;
    // No flush here: the batch timer writes it.
    const event = await waitForAudit(t, admin, `type=message.sent&subject_id=${room.id}`, undefined, 10_000);
    expect(event).toMatchObject({
      type: 'message.sent',
      actor_type: 'agent',
      actor_id: agent.agent.id,
      subject_type: 'room',
      subject_id: room.id,
      payload: { message_id: message.id, seq: 1 },
    });
  });

  it("records people's posts too, and audit.flush() writes queued rows at once", async () => {
    const room: WireRoom = await createRoom(t, admin);
    const agent: RoomAgent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, agent.jwt);
    await postMessage(t, admin, room.id, 'from a person');
    for (let i = 0; i < 3; i++) await client.send(room.id, `from an agent ${i}`);
    await client.send(room.id, 'from an agent 0', 'dup');
    await client.send(room.id, 'from an agent 0', 'dup');
    await t.ctx.services.audit.flush();
    const res = await t.app.inject({
      url: `/api/v1/audit?type=message.sent&subject_id=${room.id}`,
      headers: admin.headers,
    });
    const events = res.json<{ events: AuditEvent[] }>().events;
    expect(events.map((e) => e.payload['seq']).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(events.find((e) => e.payload['seq'] === 1)).toMatchObject({ actor_type: 'user', actor_id: admin.id });
  });
});
