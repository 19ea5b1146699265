import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, history, postMessage, storedSeqs, type RoomAgent } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, oneTo, until, type WireMessage } from '../harness/sockets.js';

const SOCKET_SENDERS = 4;
const SENDS_PER_SOCKET = 25;
const HTTP_SENDERS = 2;
const POSTS_PER_HTTP_SENDER = 15;
/** Sends each socket sender keeps in flight at once. */
const IN_FLIGHT = 5;

describe('message ordering under concurrent senders', () => {
  let t: TestApp & { url: string };
  let admin: Person;

  beforeAll(async () => {
    // The bursts here are about ordering, not about the per-socket rate limit.
    t = await startTestServer({ config: { SOCKET_EVENTS_PER_SECOND: 100_000 } });
    admin = await signInAdmin(t);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('gives every message of a room exactly one seq from 1 to N, over sockets and HTTP at once', async () => {
    const room = await createRoom(t, admin);
    const members: RoomAgent[] = await Promise.all(
      Array.from({ length: SOCKET_SENDERS + HTTP_SENDERS + 2 }, () => createRoomAgent(t, admin, { rooms: [room.id] })),
    );
    const senders = members.slice(0, SOCKET_SENDERS);
    const posters = members.slice(SOCKET_SENDERS, SOCKET_SENDERS + HTTP_SENDERS);
    const listeners = await Promise.all(members.slice(-2).map((m) => connectAgent(t.url, m.jwt)));
    const senderClients = await Promise.all(senders.map((m) => connectAgent(t.url, m.jwt)));

    /** seq by body, as each sender learned it from its ack or 201. */
    const acked = new Map<string, number>();
    const bySocket = senderClients.map(async (client, s) => {
      for (let i = 0; i < SENDS_PER_SOCKET; i += IN_FLIGHT) {
        const batch = oneTo(Math.min(IN_FLIGHT, SENDS_PER_SOCKET - i)).map(async (k) => {
          const body = `socket ${s} #${i + k}`;
          const ack = await client.send(room.id, body);
          if (!ack.ok) throw new Error(`${body} refused: ${ack.error}`);
          acked.set(body, (ack['message'] as WireMessage).seq);
        });
        await Promise.all(batch);
      }
    });
    const byHttp = posters.map(async (poster, p) => {
      for (let i = 1; i <= POSTS_PER_HTTP_SENDER; i++) {
        const body = `http ${p} #${i}`;
        const res = await postMessage(t, poster, room.id, body);
        if (res.statusCode !== 201) throw new Error(`${body} refused: ${res.statusCode} ${res.body}`);
        acked.set(body, res.json<{ message: WireMessage }>().message.seq);
      }
    });
    await Promise.all([...bySocket, ...byHttp]);

    const total = SOCKET_SENDERS * SENDS_PER_SOCKET + HTTP_SENDERS * POSTS_PER_HTTP_SENDER;
    expect(acked.size).toBe(total);
    expect([...acked.values()].sort((a, b) => a - b)).toEqual(oneTo(total));
    expect(await storedSeqs(t, room.id)).toEqual(oneTo(total));
    // A poster waits for each 201, so its own messages are in send order.
    for (let p = 0; p < HTTP_SENDERS; p++) {
      const seqs = oneTo(POSTS_PER_HTTP_SENDER).map((i) => acked.get(`http ${p} #${i}`)!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    for (const listener of listeners) {
      await until('every broadcast', () => listener.received.length >= total);
      expect(listener.received.map((m) => m.seq).sort((a, b) => a - b)).toEqual(oneTo(total));
      for (const m of listener.received) expect(acked.get(m.body)).toBe(m.seq);
    }
  });

  it('keeps seqs per room: concurrent traffic in two rooms gives each its own 1..N', async () => {
    const rooms = [await createRoom(t, admin), await createRoom(t, admin)];
    const agent = await createRoomAgent(t, admin, { rooms: rooms.map((r) => r.id) });
    const client = await connectAgent(t.url, agent.jwt);
    const acks = await Promise.all(oneTo(40).map((i) => client.send(rooms[i % 2]!.id, `message ${i}`)));
    expect(acks.every((a) => a.ok)).toBe(true);
    for (const room of rooms) expect(await storedSeqs(t, room.id)).toEqual(oneTo(20));
  });

  it('pages history newest first by cursor without gaps or repeats while messages keep arriving', async () => {
    const room = await createRoom(t, admin);
    const writer = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, writer.jwt);
    for (const i of oneTo(30)) await client.send(room.id, `before ${i}`);

    const first = await history(t, writer, room.id, { limit: 7 });
    expect(first.messages.map((m) => m.seq)).toEqual([30, 29, 28, 27, 26, 25, 24]);
    const writes = Promise.all(oneTo(30).map((i) => client.send(room.id, `during ${i}`)));
    const seen = first.messages.map((m) => m.seq);
    let cursor = first.next_cursor;
    while (cursor) {
      const page = await history(t, admin, room.id, { limit: 7, cursor });
      seen.push(...page.messages.map((m) => m.seq));
      cursor = page.next_cursor;
    }
    await writes;
    expect(seen).toEqual(oneTo(30).reverse());

    const oldestFirst = await history(t, writer, room.id, { after_seq: 0, limit: 200 });
    expect(oldestFirst.messages.map((m) => m.seq)).toEqual(oneTo(60));
    expect(oldestFirst.next_cursor).toBeNull();
    const tail = await history(t, writer, room.id, { after_seq: 55 });
    expect(tail.messages.map((m) => m.seq)).toEqual([56, 57, 58, 59, 60]);
    const newest = await history(t, writer, room.id, { limit: 3 });
    expect(newest.messages.map((m) => [m.seq, m.body])).toEqual([
      [60, expect.stringMatching(/^during /) as string],
      [59, expect.stringMatching(/^during /) as string],
      [58, expect.stringMatching(/^during /) as string],
    ]);
  });
});
