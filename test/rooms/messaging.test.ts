import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage, storedSeqs, type RoomAgent } from '../harness/rooms.js';
import {
  closeAllSockets,
  connectAgent,
  oneTo,
  roundTrip,
  until,
  type AgentClient,
  type WireMessage,
} from '../harness/sockets.js';

describe('sending, joining and leaving over socket.io', () => {
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

  /** A fresh room with `members` connected member agents and one connected agent of the same owner outside it. */
  async function world(members = 2) {
    const room = await createRoom(t, admin);
    const agents: RoomAgent[] = [];
    for (let i = 0; i < members; i++) agents.push(await createRoomAgent(t, admin, { rooms: [room.id] }));
    const outsider = await createRoomAgent(t, admin);
    const clients: AgentClient[] = [];
    for (const a of agents) clients.push(await connectAgent(t.url, a.jwt));
    return { room, agents, clients, outsider, outsiderClient: await connectAgent(t.url, outsider.jwt) };
  }

  it('acks the sender with the stored message and delivers message:new to every member socket, not to non-members', async () => {
    const { room, agents, clients, outsiderClient } = await world(3);
    const [a, b, c] = clients as [AgentClient, AgentClient, AgentClient];
    const ack = await a.send(room.id, 'hello, room', 'first');
    expect(ack).toEqual({
      ok: true,
      duplicate: false,
      message: {
        id: expect.any(String) as string,
        room_id: room.id,
        seq: 1,
        sender_id: agents[0]!.agent.id,
        sender_type: 'agent',
        body: 'hello, room',
        client_msg_id: 'first',
        created_at: expect.any(String) as string,
        mentions: [],
        reply_to_seq: null,
        reply_count: 0,
        last_reply_at: null,
      },
    });
    const stored = ack.ok ? (ack['message'] as WireMessage) : undefined;
    for (const client of [a, b, c]) {
      await until('the broadcast', () => client.received.length === 1);
      expect(client.received).toEqual([stored]);
    }
    await roundTrip(outsiderClient);
    expect(outsiderClient.received).toEqual([]);
  });

  it('stops delivering to a socket after room:leave and resumes after room:join, membership unchanged', async () => {
    const { room, clients } = await world(2);
    const [a, b] = clients as [AgentClient, AgentClient];
    expect(await b.ask('room:leave', { room_id: room.id })).toEqual({ ok: true });
    expect(await a.send(room.id, 'while b is out')).toMatchObject({ ok: true, message: { seq: 1 } });
    await roundTrip(b);
    expect(b.received).toEqual([]);
    // Leaving the socket.io room is not leaving the membership: b may still send.
    expect(await b.send(room.id, 'b can still post')).toMatchObject({ ok: true, message: { seq: 2 } });

    const join = await b.ask('room:join', { room_id: room.id });
    expect(join).toMatchObject({ ok: true, missed: [], recovered: true, last_seq: 2 });
    await a.send(room.id, 'welcome back');
    await until('the message after re-joining', () => b.received.length === 1);
    expect(b.received.map((m) => m.body)).toEqual(['welcome back']);
  });

  it('answers a retried client_msg_id with the original, duplicate:true, and does not broadcast it again', async () => {
    const { room, agents, clients } = await world(2);
    const [a, b] = clients as [AgentClient, AgentClient];
    const first = await a.send(room.id, 'exactly once', 'retry-me');
    const again = await a.send(room.id, 'a different body on retry', 'retry-me');
    expect(first).toMatchObject({ ok: true, duplicate: false });
    expect(again).toEqual({ ...first, duplicate: true });
    // The same id over HTTP, from the same agent, is the same message too.
    const overHttp = await postMessage(t, agents[0]!, room.id, 'exactly once', 'retry-me');
    expect(overHttp.statusCode).toBe(200);
    expect(overHttp.json()).toEqual({ message: first.ok && first['message'] });
    // Another sender's client_msg_id space is its own.
    expect(await b.send(room.id, 'mine', 'retry-me')).toMatchObject({ ok: true, duplicate: false });

    await roundTrip(b);
    expect(b.received.map((m) => [m.seq, m.body])).toEqual([
      [1, 'exactly once'],
      [2, 'mine'],
    ]);
    expect(await storedSeqs(t, room.id)).toEqual([1, 2]);
  });

  it('stores one row when identical retries race over sockets and HTTP, without burning seqs', async () => {
    const { room, agents, clients } = await world(1);
    const a = clients[0]!;
    const second = await connectAgent(t.url, agents[0]!.jwt);
    /** Each attempt as (message id, whether it was the one that stored it). */
    const overSocket = async (client: AgentClient) => {
      const ack = await client.send(room.id, 'raced', 'same-id');
      if (!ack.ok) throw new Error(`refused: ${ack.error}`);
      return { id: (ack['message'] as WireMessage).id, original: ack['duplicate'] === false };
    };
    const overHttp = async () => {
      const res = await postMessage(t, agents[0]!, room.id, 'raced', 'same-id');
      return { id: res.json<{ message: WireMessage }>().message.id, original: res.statusCode === 201 };
    };
    const attempts = await Promise.all([
      ...Array.from({ length: 6 }, () => overSocket(a)),
      ...Array.from({ length: 6 }, () => overSocket(second)),
      ...Array.from({ length: 6 }, overHttp),
    ]);
    expect(new Set(attempts.map((r) => r.id)).size).toBe(1);
    expect(attempts.filter((r) => r.original)).toHaveLength(1);
    expect(await a.send(room.id, 'next')).toMatchObject({ ok: true, message: { seq: 2 } });
    expect(await storedSeqs(t, room.id)).toEqual(oneTo(2));
  });

  it('refuses room:join and message:send from a non-member with forbidden, for existing and unknown rooms alike', async () => {
    const { room, clients, outsiderClient } = await world(1);
    const unknown = randomUUID();
    for (const roomId of [room.id, unknown]) {
      expect(await outsiderClient.ask('room:join', { room_id: roomId })).toMatchObject({
        ok: false,
        error: 'forbidden',
      });
      expect(await outsiderClient.send(roomId, 'let me in')).toMatchObject({ ok: false, error: 'forbidden' });
    }
    await roundTrip(clients[0]!);
    expect(clients[0]!.received).toEqual([]);
    expect(await storedSeqs(t, room.id)).toEqual([]);
  });

  it('refuses an admin agent of the same owner that is not a member, on sockets and over HTTP', async () => {
    const room = await createRoom(t, admin);
    const adminAgent = await createRoomAgent(t, admin, { role: 'admin' });
    const client = await connectAgent(t.url, adminAgent.jwt);
    expect(await client.ask('room:join', { room_id: room.id })).toMatchObject({ ok: false, error: 'forbidden' });
    expect(await client.send(room.id, 'I manage, I do not talk')).toMatchObject({ ok: false, error: 'forbidden' });
    expect((await postMessage(t, adminAgent, room.id, 'nor here')).statusCode).toBe(403);
    expect(await storedSeqs(t, room.id)).toEqual([]);
  });
});
