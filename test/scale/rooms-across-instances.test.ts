import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, REDIS_URL, startFleet, type Fleet, type Instance } from '../harness/fleet.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { addMember, createRoom, createRoomAgent, postMessage, removeMember, type RoomAgent } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, until, type PresenceAgent } from '../harness/sockets.js';

describe.runIf(REDIS_URL)('rooms across two instances', () => {
  let fleet: Fleet;
  let a: Instance;
  let b: Instance;
  let admin: Person;

  beforeAll(async () => {
    // A short presence TTL so a dead instance's entries age out within the test.
    fleet = await startFleet(2, { PRESENCE_TTL: 1.5 });
    [a, b] = fleet.instances as [Instance, Instance];
    admin = await signInAdmin(a);
  });
  afterAll(async () => {
    closeAllSockets();
    await fleet.close();
  });

  const who = (agent: RoomAgent): PresenceAgent => ({ agent_id: agent.agent.id, name: agent.agent.name });
  const presenceIn = (reply: { ok: boolean } & Record<string, unknown>) =>
    reply.ok ? (reply['presence'] as PresenceAgent[]) : [];

  it('delivers a message sent on either instance, by socket or REST, to members connected to the other', async () => {
    const room = await createRoom(a, admin);
    const x = await createRoomAgent(a, admin, { rooms: [room.id] });
    const y = await createRoomAgent(a, admin, { rooms: [room.id] });
    const onA = await connectAgent(a.url, x.jwt);
    const onB = await connectAgent(b.url, y.jwt);

    expect(await onA.send(room.id, 'from a')).toMatchObject({ ok: true });
    expect(await onB.send(room.id, 'from b')).toMatchObject({ ok: true });
    expect((await postMessage(b, admin, room.id, 'over REST on b')).statusCode).toBe(201);

    for (const client of [onA, onB]) {
      await until('all three messages', () => client.received.length === 3);
      expect(client.received.map((m) => [m.seq, m.body])).toEqual([
        [1, 'from a'],
        [2, 'from b'],
        [3, 'over REST on b'],
      ]);
    }
  });

  it('lists agents connected to the other instance in the room:join snapshot and announces them across', async () => {
    const room = await createRoom(a, admin);
    const x = await createRoomAgent(a, admin, { rooms: [room.id] });
    const y = await createRoomAgent(a, admin, { rooms: [room.id] });
    const onA = await connectAgent(a.url, x.jwt);
    const onB = await connectAgent(b.url, y.jwt);

    expect(presenceIn(await onA.ask('room:join', { room_id: room.id }))).toEqual(
      expect.arrayContaining([who(x), who(y)]),
    );
    expect(presenceIn(await onB.ask('room:join', { room_id: room.id }))).toEqual(
      expect.arrayContaining([who(x), who(y)]),
    );

    // A third member connecting on b is announced to the socket on a, and its leaving too.
    const z = await createRoomAgent(a, admin, { rooms: [room.id] });
    const zOnB = await connectAgent(b.url, z.jwt);
    await until('the joined diff on a', () =>
      onA.presence.some((p) => p.room_id === room.id && p.joined.some((j) => j.agent_id === z.agent.id)),
    );
    zOnB.socket.close();
    await until('the left diff on a', () =>
      onA.presence.some((p) => p.room_id === room.id && p.left.some((l) => l.agent_id === z.agent.id)),
    );
    expect(presenceIn(await onA.ask('room:join', { room_id: room.id }))).not.toContainEqual(who(z));
  });

  it('drops the agents of an instance that died from presence once their entries expire', async () => {
    const c = await fleet.start();
    const room = await createRoom(a, admin);
    const x = await createRoomAgent(a, admin, { rooms: [room.id] });
    const z = await createRoomAgent(a, admin, { rooms: [room.id] });
    const onA = await connectAgent(a.url, x.jwt);
    await connectAgent(c.url, z.jwt);
    // The other instance writes z's presence to Redis as it joins z's rooms, just after the connection.
    await eventually("the other instance's agent to be present", async () =>
      presenceIn(await onA.ask('room:join', { room_id: room.id })).some((p) => p.agent_id === z.agent.id),
    );

    await c.kill();
    // Nobody told Redis: the entry stays until it is no longer refreshed, then ages out.
    await eventually("the dead instance's agent to age out", async () => {
      const present = presenceIn(await onA.ask('room:join', { room_id: room.id }));
      return !present.some((p) => p.agent_id === z.agent.id);
    });
    expect(presenceIn(await onA.ask('room:join', { room_id: room.id }))).toEqual([who(x)]);
  }, 60_000);

  it('moves sockets on the other instance in and out of a room when membership changes', async () => {
    const room = await createRoom(a, admin);
    const other = await createRoom(a, admin);
    const x = await createRoomAgent(a, admin, { rooms: [room.id, other.id] });
    const y = await createRoomAgent(a, admin, { rooms: [other.id] });
    const onA = await connectAgent(a.url, x.jwt);
    const onB = await connectAgent(b.url, y.jwt);

    // Added through instance a: y's live socket on b joins the room.
    expect((await addMember(a, admin, room.id, y.agent.id)).statusCode).toBe(201);
    await until('y in the room on b', () =>
      onA.presence.some((p) => p.room_id === room.id && p.joined.some((j) => j.agent_id === y.agent.id)),
    );
    await onA.send(room.id, 'welcome');
    await until('the message on b', () => onB.received.some((m) => m.body === 'welcome'));

    // Removed through instance a: y's socket on b leaves and hears nothing more.
    expect((await removeMember(a, admin, room.id, y.agent.id)).statusCode).toBe(204);
    await until('the left diff', () =>
      onA.presence.some((p) => p.room_id === room.id && p.left.some((l) => l.agent_id === y.agent.id)),
    );
    await onA.send(room.id, 'after removal');
    // Broadcasts from one instance reach another in order: once the marker is in, the removed room's message is not coming.
    await onA.send(other.id, 'marker');
    await until('the marker on b', () => onB.received.some((m) => m.body === 'marker'));
    expect(onB.received.map((m) => m.body)).toEqual(['welcome', 'marker']);
  });
});
