import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, createUser, type Person } from '../harness/identity.js';
import {
  createRoom,
  createRoomAgent,
  headersOf,
  history,
  storedSeqs,
  type Caller,
  type RoomAgent,
  type WireRoom,
} from '../harness/rooms.js';
import { closeAllSockets, connectAgent, type WireMessage } from '../harness/sockets.js';

describe('threads', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let room: WireRoom;
  let elsewhere: WireRoom;
  let alpha: RoomAgent;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Owner' });
    room = await createRoom(t, owner);
    elsewhere = await createRoom(t, owner);
    alpha = await createRoomAgent(t, admin, { owner, rooms: [room.id, elsewhere.id], name: 'alpha' });
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  const post = (by: Caller, roomId: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `/api/v1/rooms/${roomId}/messages`, headers: headersOf(by), payload });
  async function send(by: Caller, payload: Record<string, unknown>, roomId = room.id): Promise<WireMessage> {
    const res = await post(by, roomId, payload);
    if (res.statusCode !== 201) throw new Error(`send failed: ${res.statusCode} ${res.body}`);
    return res.json<{ message: WireMessage }>().message;
  }

  it('files replies under their parent, counts them there, and reads the thread oldest first in pages', async () => {
    const parent = await send(alpha, { body: 'plan for today' });
    await send(alpha, { body: 'unrelated' });
    const r1 = await send(alpha, { body: 'step one', reply_to_seq: parent.seq });
    const r2 = await send(owner, { body: 'step two', reply_to_seq: parent.seq });
    // A reply to a reply joins the same thread.
    const r3 = await send(alpha, { body: 'on step two', reply_to_seq: r2.seq });
    expect([r1.reply_to_seq, r2.reply_to_seq, r3.reply_to_seq]).toEqual([parent.seq, parent.seq, parent.seq]);
    const thread = await history(t, owner, room.id, { thread: parent.seq });
    expect(thread.messages.map((m) => m.body)).toEqual(['plan for today', 'step one', 'step two', 'on step two']);
    expect(thread.messages[0]).toMatchObject({ reply_count: 3, last_reply_at: r3.created_at, reply_to_seq: null });
    expect(thread.next_cursor).toBeNull();
    const page1 = await history(t, alpha, room.id, { thread: parent.seq, limit: 2 });
    expect(page1.messages.map((m) => m.seq)).toEqual([parent.seq, r1.seq]);
    const page2 = await history(t, alpha, room.id, { thread: parent.seq, limit: 2, cursor: page1.next_cursor ?? '' });
    expect(page2.messages.map((m) => m.seq)).toEqual([r2.seq, r3.seq]);
    expect(page2.next_cursor).toBeNull();
  });

  it("refuses a reply to another room's seq or to no message with unknown_reply_to, storing nothing", async () => {
    const there = await send(alpha, { body: 'in the other room' }, elsewhere.id);
    const seqs = await storedSeqs(t, room.id);
    const lastSeq = seqs.at(-1) ?? 0;
    for (const reply_to_seq of [lastSeq + 50, there.seq + 1000]) {
      const res = await post(alpha, room.id, { body: 'lost reply', reply_to_seq });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'unknown_reply_to' });
    }
    for (const reply_to_seq of [0, -1, 1.5, 'one', Number.MAX_SAFE_INTEGER + 10])
      expect((await post(alpha, room.id, { body: 'odd', reply_to_seq })).statusCode).toBe(400);
    expect(await storedSeqs(t, room.id)).toEqual(seqs);
    expect(
      (await t.app.inject({ url: `/api/v1/rooms/${room.id}/messages?thread=99999`, headers: owner.headers }))
        .statusCode,
    ).toBe(404);
  });

  it('takes reply_to_seq on socket message:send and announces the reply with it', async () => {
    const socket = await connectAgent(t.url, alpha.jwt);
    const parent = await send(owner, { body: 'socket parent' });
    const ack = await socket.ask('message:send', { room_id: room.id, body: 'socket reply', reply_to_seq: parent.seq });
    expect(ack).toMatchObject({ ok: true, message: { reply_to_seq: parent.seq } });
    expect(
      await socket.ask('message:send', { room_id: room.id, body: 'socket reply', reply_to_seq: 999_999 }),
    ).toMatchObject({ ok: false, error: 'unknown_reply_to' });
    const thread = await history(t, owner, room.id, { thread: parent.seq });
    expect(thread.messages.map((m) => [m.body, m.reply_count])).toEqual([
      ['socket parent', 1],
      ['socket reply', 0],
    ]);
  });
});
