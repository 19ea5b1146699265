import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, history, storedSeqs, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, oneTo, until, type AckReply, type WireMessage } from '../harness/sockets.js';

const REPLAY_LIMIT = 5;

describe('replay after a disconnect', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let room: WireRoom;
  let sender: RoomAgent;
  let reader: RoomAgent;

  beforeAll(async () => {
    t = await startTestServer({ config: { ROOM_REPLAY_LIMIT: REPLAY_LIMIT } });
    admin = await signInAdmin(t);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  async function freshRoom() {
    room = await createRoom(t, admin);
    sender = await createRoomAgent(t, admin, { rooms: [room.id] });
    reader = await createRoomAgent(t, admin, { rooms: [room.id] });
    return connectAgent(t.url, sender.jwt);
  }

  it('replays what a member missed while away, in seq order, with recovered:true', async () => {
    const a = await freshRoom();
    const b = await connectAgent(t.url, reader.jwt);
    await a.send(room.id, 'one');
    await a.send(room.id, 'two');
    await until('both messages', () => b.received.length === 2);
    const lastSeen = Math.max(...b.received.map((m) => m.seq));
    b.socket.close();
    for (const body of ['three', 'four', 'five']) await a.send(room.id, body);

    const back = await connectAgent(t.url, reader.jwt);
    expect(back.hello.rooms).toEqual([{ id: room.id, slug: room.slug, last_seq: 5 }]);
    const join = await back.ask('room:join', { room_id: room.id, since_seq: lastSeen });
    expect(join).toMatchObject({ ok: true, recovered: true, last_seq: 5 });
    const missed = (join.ok ? join['missed'] : []) as WireMessage[];
    expect(missed.map((m) => [m.seq, m.body])).toEqual([
      [3, 'three'],
      [4, 'four'],
      [5, 'five'],
    ]);
    expect(missed[0]).toMatchObject({ room_id: room.id, sender_id: sender.agent.id, sender_type: 'agent' });
    expect(await back.ask('room:join', { room_id: room.id, since_seq: 5 })).toMatchObject({
      ok: true,
      missed: [],
      recovered: true,
    });
  });

  it(`replays exactly ROOM_REPLAY_LIMIT missed messages, and past it says recovered:false with nothing missed`, async () => {
    const a = await freshRoom();
    for (const i of oneTo(REPLAY_LIMIT + 1)) await a.send(room.id, `m${i}`);
    const b = await connectAgent(t.url, reader.jwt);
    const atLimit = await b.ask('room:join', { room_id: room.id, since_seq: 1 });
    expect(atLimit).toMatchObject({ ok: true, recovered: true });
    expect((atLimit.ok ? (atLimit['missed'] as WireMessage[]) : []).map((m) => m.seq)).toEqual([2, 3, 4, 5, 6]);

    const past = await b.ask('room:join', { room_id: room.id, since_seq: 0 });
    expect(past).toEqual({
      ok: true,
      presence: expect.any(Array) as unknown,
      missed: [],
      recovered: false,
      last_seq: 6,
    });
    // The client falls back to REST history for the gap.
    const page = await history(t, reader, room.id, { after_seq: 0 });
    expect(page.messages.map((m) => m.seq)).toEqual(oneTo(REPLAY_LIMIT + 1));
  });
});

describe('a server restart on the same database', () => {
  let database: Database;
  let first: TestApp & { url: string };
  let second: (TestApp & { url: string }) | undefined;
  let firstClosed = false;

  beforeAll(async () => {
    database = await createTestDatabase();
    first = await startTestServer({ database });
  });
  afterAll(async () => {
    closeAllSockets();
    if (!firstClosed) await first.close();
    await second?.close();
    await database.close();
  });

  it('loses nothing that was acked: sends in flight at shutdown either ack or fail, and replay covers the rest', async () => {
    const admin = await signInAdmin(first);
    const room = await createRoom(first, admin);
    const sender = await createRoomAgent(first, admin, { rooms: [room.id] });
    const reader = await createRoomAgent(first, admin, { rooms: [room.id] });
    const a = await connectAgent(first.url, sender.jwt);
    const b = await connectAgent(first.url, reader.jwt);
    for (const i of oneTo(5)) await a.send(room.id, `settled ${i}`);
    await until('the settled messages', () => b.received.length === 5);

    // A burst still in flight when the server shuts down: each send acks or fails, none hangs.
    const burst = oneTo(20).map((i) =>
      a.send(room.id, `burst ${i}`).then(
        (ack) => ({ body: `burst ${i}`, ack }),
        () => ({ body: `burst ${i}`, ack: undefined as AckReply | undefined }),
      ),
    );
    await Promise.race(burst);
    await first.close();
    firstClosed = true;
    const outcomes = await Promise.all(burst);
    expect(await a.disconnected).toBe('io server disconnect');
    const acked = outcomes.filter((o) => o.ack?.ok).map((o) => (o.ack?.ok ? (o.ack['message'] as WireMessage) : null)!);
    expect(acked.length).toBeGreaterThan(0);

    second = await startTestServer({ database });
    const seen = Math.max(...b.received.map((m) => m.seq));
    const back = await connectAgent(second.url, reader.jwt);
    const join = await back.ask('room:join', { room_id: room.id, since_seq: seen });
    expect(join).toMatchObject({ ok: true, recovered: true });
    const replayed = join.ok ? (join['missed'] as WireMessage[]) : [];
    const everything = new Map([...b.received, ...replayed].map((m) => [m.id, m]));
    for (const m of acked) expect(everything.get(m.id), m.body).toEqual(m);

    const stored = await storedSeqs(second, room.id);
    expect(stored).toEqual(oneTo(stored.length));
    expect([...everything.values()].map((m) => m.seq).sort((x, y) => x - y)).toEqual(stored);
    // The sender carries on where it left off, on the new instance.
    const again = await connectAgent(second.url, sender.jwt);
    expect(await again.send(room.id, 'after restart')).toMatchObject({
      ok: true,
      message: { seq: stored.length + 1 },
    });
  });
});
