import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { closeAllMcp, connectMcp, textOf, type McpSession } from '../harness/mcp.js';
import { createRoom, createRoomAgent, scrape, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, until, type WireMessage } from '../harness/sockets.js';

interface WaitResult {
  messages: (WireMessage & { sender_name: string | null })[];
  timed_out: boolean;
  last_seq: number;
  note?: string;
}

/** Long-polls in progress, as the server exports them. */
async function pendingWaits(t: TestApp): Promise<number> {
  return (await scrape(t, 'agenthub_mcp_waits_pending')).get('') ?? 0;
}

async function untilWaiting(t: TestApp, n: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await pendingWaits(t)) !== n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} pending waits`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('MCP and socket.io in the same room', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let room: WireRoom;
  let alpha: RoomAgent; // speaks MCP
  let beta: RoomAgent; // speaks socket.io
  let mcp: McpSession;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    room = await createRoom(t, admin, { slug: 'bridge', name: 'Bridge' });
    alpha = await createRoomAgent(t, admin, { rooms: [room.id], name: 'alpha' });
    beta = await createRoomAgent(t, admin, { rooms: [room.id], name: 'beta' });
    mcp = await connectMcp(t.url, alpha.jwt);
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    await closeAllMcp();
    await t.close();
  });

  it('delivers a message sent over MCP to a socket.io member of the room, as a socket send would', async () => {
    const socket = await connectAgent(t.url, beta.jwt);
    const { message } = await mcp.ok<{ message: WireMessage }>('send_message', {
      room: room.id,
      body: 'hello from MCP',
      client_msg_id: 'bridge-1',
    });
    seq = message.seq;
    const received = await until('message:new on the socket', () => socket.received.find((m) => m.id === message.id));
    const { sender_name: _name, ...wire } = message as WireMessage & { sender_name?: string };
    expect(received).toEqual(wire);
    expect(received).toMatchObject({ body: 'hello from MCP', sender_id: alpha.agent.id, sender_type: 'agent' });
  });

  it('shows a socket.io send to read_messages and to wait_for_messages', async () => {
    const socket = await connectAgent(t.url, beta.jwt);
    const ack = await socket.send(room.id, 'hello from socket.io');
    expect(ack.ok).toBe(true);
    const read = await mcp.ok<{ messages: WaitResult['messages'] }>('read_messages', {
      room: 'bridge',
      since_seq: seq,
    });
    expect(read.messages.map((m) => [m.body, m.sender_name])).toEqual([['hello from socket.io', 'beta']]);
    const waited = await mcp.ok<WaitResult>('wait_for_messages', { room: 'bridge', since_seq: seq });
    expect(waited.timed_out).toBe(false);
    expect(waited.messages.map((m) => m.body)).toEqual(['hello from socket.io']);
    seq = waited.last_seq;
  });

  it('wakes a pending wait_for_messages as soon as a message arrives, and returns it', async () => {
    const socket = await connectAgent(t.url, beta.jwt);
    const waiting = mcp.ok<WaitResult>('wait_for_messages', { room: room.id, since_seq: seq, timeout_seconds: 30 });
    await untilWaiting(t, 1);
    expect((await socket.send(room.id, 'wake up')).ok).toBe(true);
    const result = await waiting;
    expect(result.timed_out).toBe(false);
    expect(result.messages.map((m) => [m.seq, m.body, m.sender_name])).toEqual([[seq + 1, 'wake up', 'beta']]);
    expect(result.last_seq).toBe(seq + 1);
    seq = result.last_seq;
    await untilWaiting(t, 0);
  });

  it('times out cleanly with no messages, leaving no waiter or event listener behind', async () => {
    const listeners = t.ctx.events.listenerCount('message.created');
    const result = await mcp.ok<WaitResult>('wait_for_messages', { room: room.id, since_seq: seq, timeout_seconds: 1 });
    expect(result).toMatchObject({ timed_out: true, messages: [], last_seq: seq });
    expect(await pendingWaits(t)).toBe(0);
    expect(t.ctx.events.listenerCount('message.created')).toBe(listeners);
  });

  it('stops waiting at once when the client goes away', async () => {
    const leaving = await connectMcp(t.url, alpha.jwt);
    const call = leaving.call('wait_for_messages', { room: room.id, since_seq: seq, timeout_seconds: 30 });
    call.catch(() => undefined); // the closed client rejects it
    await untilWaiting(t, 1);
    await leaving.close();
    await untilWaiting(t, 0);
  });

  it('refuses a ninth concurrent wait of one agent as a tool error, and serves all eight on the next message', async () => {
    const sessions = await Promise.all(Array.from({ length: 8 }, () => connectMcp(t.url, alpha.jwt)));
    const waits = sessions.map((s) =>
      s.ok<WaitResult>('wait_for_messages', { room: room.id, since_seq: seq, timeout_seconds: 30 }),
    );
    await untilWaiting(t, 8);
    expect(await mcp.fails('wait_for_messages', { room: room.id, since_seq: seq })).toMatch(/too_many_waits/);
    await mcp.ok('send_message', { room: room.id, body: 'for everyone' });
    const results = await Promise.all(waits);
    expect(results.map((r) => r.messages.map((m) => m.body))).toEqual(Array(8).fill(['for everyone']));
    seq += 1;
    await Promise.all(sessions.map((s) => s.close()));
  });

  it('ends pending waits when the server shuts down, and the shutdown does not wait out the timeout', async () => {
    const other = await startTestServer();
    const otherAdmin = await signInAdmin(other);
    const otherRoom = await createRoom(other, otherAdmin, { slug: 'closing', name: 'Closing' });
    const agent = await createRoomAgent(other, otherAdmin, { rooms: [otherRoom.id] });
    const session = await connectMcp(other.url, agent.jwt);
    const call = session.call('wait_for_messages', { room: otherRoom.id, since_seq: 0, timeout_seconds: 30 });
    await untilWaiting(other, 1);
    const closed = other.close();
    const result = await call;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ timed_out: true, messages: [] });
    expect((result.structuredContent as unknown as WaitResult).note).toMatch(/shutting down/);
    await closed;
    await session.close();
  });
});
