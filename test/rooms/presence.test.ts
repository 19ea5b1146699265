import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { exchange, issueToken, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import {
  closeAllSockets,
  connectAgent,
  roundTrip,
  until,
  type AgentClient,
  type PresenceAgent,
} from '../harness/sockets.js';

describe('presence', () => {
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

  const who = (agent: RoomAgent): PresenceAgent => ({ agent_id: agent.agent.id, name: agent.agent.name });
  /** The diffs `observer` saw about `agent` in `room`, as 'joined' / 'left' in arrival order. */
  const diffsAbout = (observer: AgentClient, room: WireRoom, agent: RoomAgent) =>
    observer.presence
      .filter((p) => p.room_id === room.id)
      .flatMap((p) => [
        ...p.joined.filter((a) => a.agent_id === agent.agent.id).map(() => 'joined'),
        ...p.left.filter((a) => a.agent_id === agent.agent.id).map(() => 'left'),
      ]);

  async function twoAgents() {
    const room = await createRoom(t, admin);
    const a = await createRoomAgent(t, admin, { rooms: [room.id] });
    const b = await createRoomAgent(t, admin, { rooms: [room.id] });
    return { room, a, b, observer: await connectAgent(t.url, a.jwt) };
  }

  it('puts a snapshot of who is present in the room:join ack', async () => {
    const { room, a, b } = await twoAgents();
    const client = await connectAgent(t.url, b.jwt);
    const join = await client.ask('room:join', { room_id: room.id });
    expect(join.ok && join['presence']).toEqual(expect.arrayContaining([who(a), who(b)]));
    expect(join.ok && (join['presence'] as PresenceAgent[]).length).toBe(2);
  });

  it('announces joined when another member connects and left when it disconnects', async () => {
    const { room, b, observer } = await twoAgents();
    const other = await connectAgent(t.url, b.jwt);
    await until('the joined diff', () => diffsAbout(observer, room, b).length === 1);
    expect(observer.presence.at(-1)).toEqual({ room_id: room.id, joined: [who(b)], left: [] });
    other.socket.close();
    await until('the left diff', () => diffsAbout(observer, room, b).length === 2);
    expect(observer.presence.at(-1)).toEqual({ room_id: room.id, joined: [], left: [who(b)] });
  });

  it('announces room:leave and room:join of a socket like a departure and an arrival', async () => {
    const { room, b, observer } = await twoAgents();
    const other = await connectAgent(t.url, b.jwt);
    await other.ask('room:leave', { room_id: room.id });
    await roundTrip(observer);
    expect(diffsAbout(observer, room, b)).toEqual(['joined', 'left']);
    const join = await other.ask('room:join', { room_id: room.id });
    expect(join.ok && join['presence']).toContainEqual(who(b));
    await roundTrip(observer);
    expect(diffsAbout(observer, room, b)).toEqual(['joined', 'left', 'joined']);
  });

  it('counts two sockets of one agent once: one joined, and left only when the last one goes', async () => {
    const { room, b, observer } = await twoAgents();
    // Two credentials, so one socket can be closed by the server (revocation) at a known moment.
    const second = await issueToken(t, admin, b.agent.id);
    const first = await connectAgent(t.url, b.jwt);
    const other = await connectAgent(t.url, await exchange(t, second.token));
    await roundTrip(observer);
    expect(diffsAbout(observer, room, b)).toEqual(['joined']);
    const join = await other.ask('room:join', { room_id: room.id });
    expect((join.ok ? (join['presence'] as PresenceAgent[]) : []).filter((p) => p.agent_id === b.agent.id)).toEqual([
      who(b),
    ]);

    // The revocation disconnects the first socket before the 204 is sent.
    await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${b.prefix}`, headers: admin.headers });
    await first.disconnected;
    await roundTrip(observer);
    expect(diffsAbout(observer, room, b)).toEqual(['joined']);

    other.socket.close();
    await until('the left diff', () => diffsAbout(observer, room, b).length === 2);
    expect(diffsAbout(observer, room, b)).toEqual(['joined', 'left']);
  });

  it('sends each room only its own diffs', async () => {
    const roomX = await createRoom(t, admin);
    const roomY = await createRoom(t, admin);
    const inX = await createRoomAgent(t, admin, { rooms: [roomX.id] });
    const inY = await createRoomAgent(t, admin, { rooms: [roomY.id] });
    const inBoth = await createRoomAgent(t, admin, { rooms: [roomX.id, roomY.id] });
    const watchX = await connectAgent(t.url, inX.jwt);
    const watchY = await connectAgent(t.url, inY.jwt);
    await connectAgent(t.url, inBoth.jwt);
    await until(
      'both diffs',
      () => diffsAbout(watchX, roomX, inBoth).length + diffsAbout(watchY, roomY, inBoth).length === 2,
    );
    await roundTrip(watchX);
    await roundTrip(watchY);
    expect(watchX.presence.every((p) => p.room_id === roomX.id)).toBe(true);
    expect(watchY.presence.every((p) => p.room_id === roomY.id)).toBe(true);
    expect(watchX.presence.flatMap((p) => p.joined)).not.toContainEqual(who(inY));
  });
});
