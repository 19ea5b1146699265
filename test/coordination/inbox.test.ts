import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { ack, eventually, inbox, inboxOf, recipientRows } from '../harness/coordination.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import {
  createRoom,
  createRoomAgent,
  postMessage,
  removeMember,
  storedSeqs,
  type RoomAgent,
  type WireRoom,
} from '../harness/rooms.js';
import { closeAllSockets, connectAgent, until, type WireMessage } from '../harness/sockets.js';

describe('mentions and the inbox', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let room: WireRoom;
  let alpha: RoomAgent;
  let beta: RoomAgent;
  let gamma: RoomAgent;
  let outsider: RoomAgent;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Owner' });
    room = await createRoom(t, owner, { slug: 'work' });
    alpha = await createRoomAgent(t, admin, { owner, rooms: [room.id], name: 'alpha' });
    beta = await createRoomAgent(t, admin, { owner, rooms: [room.id], name: 'beta' });
    gamma = await createRoomAgent(t, admin, { owner, rooms: [room.id], name: 'gamma' });
    outsider = await createRoomAgent(t, admin, { owner, name: 'outsider' });
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  async function send(by: RoomAgent | Person, body: string, roomId = room.id): Promise<WireMessage> {
    const res = await postMessage(t, by, roomId, body);
    if (res.statusCode !== 201) throw new Error(`send failed: ${res.statusCode} ${res.body}`);
    return res.json<{ message: WireMessage }>().message;
  }
  const drain = async (agent: RoomAgent) => {
    const ids = (await inbox(t, agent, { limit: 200 })).items.map((i) => i.message.id);
    if (ids.length) await ack(t, agent, { message_ids: ids });
  };

  it('addresses @name to that member: stored with the message, listed in mentions and in its inbox only', async () => {
    const message = await send(alpha, '@beta can you review? cc me@example.com');
    expect(message.mentions).toEqual([{ agent_id: beta.agent.id, name: 'beta' }]);
    expect((await recipientRows(t, room.id)).filter((r) => r.message_id === message.id)).toEqual([
      expect.objectContaining({ agent_id: beta.agent.id, reason: 'mention', acknowledged_at: null }),
    ]);
    const betas = await inbox(t, beta);
    expect(betas.items).toEqual([
      {
        message: expect.objectContaining({ id: message.id, mentions: message.mentions }) as WireMessage,
        room: { id: room.id, slug: 'work', name: 'A room', kind: 'room' },
        reason: 'mention',
        delivered_at: null,
      },
    ]);
    expect(betas.pending).toBe(1);
    expect((await inbox(t, alpha)).items).toEqual([]);
    expect((await inbox(t, gamma)).items).toEqual([]);
    // The history shows the mentions too.
    const history = await t.app.inject({ url: `/api/v1/rooms/${room.id}/messages`, headers: owner.headers });
    expect(history.json<{ messages: WireMessage[] }>().messages[0]?.mentions).toEqual(message.mentions);
    await drain(beta);
  });

  it('addresses @room to every member agent but the sender, and a named member keeps reason mention', async () => {
    const message = await send(alpha, '@room standup in 5, @gamma you start');
    const rows = (await recipientRows(t, room.id)).filter((r) => r.message_id === message.id);
    expect(rows.map((r) => [r.agent_id, r.reason]).sort()).toEqual(
      [
        [beta.agent.id, 'room_mention'],
        [gamma.agent.id, 'mention'],
      ].sort(),
    );
    // A person's @room reaches every member agent.
    const byPerson = await send(owner, '@room all hands');
    expect((await recipientRows(t, room.id)).filter((r) => r.message_id === byPerson.id)).toHaveLength(3);
    for (const agent of [alpha, beta, gamma]) await drain(agent);
  });

  it('refuses a mention of a non-member with unknown_mention naming it, and stores nothing', async () => {
    const seqs = await storedSeqs(t, room.id);
    const rows = (await recipientRows(t)).length;
    for (const body of ['@outsider look', '@beta and @nobody', 'hey @ghost.']) {
      const res = await postMessage(t, alpha, room.id, body);
      expect(res.statusCode, body).toBe(400);
      expect(res.json()).toMatchObject({ error: 'unknown_mention' });
    }
    expect((await postMessage(t, alpha, room.id, '@beta and @nobody')).json()).toMatchObject({
      names: ['nobody'],
      message: expect.stringContaining('@nobody') as string,
    });
    const socket = await connectAgent(t.url, alpha.jwt);
    expect(await socket.send(room.id, '@outsider psst')).toMatchObject({ ok: false, error: 'unknown_mention' });
    expect(await storedSeqs(t, room.id)).toEqual(seqs);
    expect(await recipientRows(t)).toHaveLength(rows);
    socket.socket.close();
  });

  it('lists oldest first with a cursor, filters by room, and counts everything pending', async () => {
    const other = await createRoom(t, owner, { slug: 'other' });
    const { addMember } = await import('../harness/rooms.js');
    await addMember(t, owner, other.id, beta.agent.id);
    await addMember(t, owner, other.id, alpha.agent.id);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await send(alpha, `@beta item ${i}`, i % 2 ? other.id : room.id)).id);
    const first = await inbox(t, beta, { limit: 2 });
    expect(first.items.map((i) => i.message.id)).toEqual(sent.slice(0, 2));
    expect(first.pending).toBe(5);
    const second = await inbox(t, beta, { limit: 2, cursor: first.next_cursor ?? '' });
    const third = await inbox(t, beta, { limit: 2, cursor: second.next_cursor ?? '' });
    expect([...second.items, ...third.items].map((i) => i.message.id)).toEqual(sent.slice(2));
    expect(third.next_cursor).toBeNull();
    expect((await inbox(t, beta, { room_id: other.id })).items.map((i) => i.message.id)).toEqual([sent[1], sent[3]]);
    // Bad cursors and rooms one may not read are refused.
    expect((await inboxOf(t, beta, { cursor: 'bm9wZQ' })).statusCode).toBe(400);
    expect((await inboxOf(t, beta, { cursor: "'; drop table messages; --" })).statusCode).toBe(400);
    expect((await inboxOf(t, outsider, { room_id: room.id })).statusCode).toBe(404);
    expect((await inboxOf(t, beta, { room_id: 'nope' })).statusCode).toBe(400);
    expect((await inboxOf(t, beta, { limit: 1000 })).statusCode).toBe(400);
    // Leaving a room takes its items out of the inbox (the rooms' read rule).
    expect((await removeMember(t, owner, other.id, beta.agent.id)).statusCode).toBe(204);
    expect((await inbox(t, beta)).items.map((i) => i.message.id)).toEqual([sent[0], sent[2], sent[4]]);
    await drain(beta);
  });

  it("acknowledges only the caller's own items: someone else's or unknown ids change nothing and come back as unknown", async () => {
    const toBeta = await send(alpha, '@beta one');
    const toGamma = await send(alpha, '@gamma two');
    const missing = randomUUID();
    const byGamma = await ack(t, gamma, { message_ids: [toBeta.id, missing] });
    expect(byGamma.statusCode).toBe(200);
    expect(byGamma.json()).toEqual({ acknowledged: [], unknown: [toBeta.id, missing] });
    expect((await inbox(t, beta)).items.map((i) => i.message.id)).toEqual([toBeta.id]);
    // An agent never sees another's inbox: its own is all it gets.
    expect((await inbox(t, gamma)).items.map((i) => i.message.id)).toEqual([toGamma.id]);
    const byBeta = await ack(t, beta, { message_ids: [toBeta.id, toBeta.id, toGamma.id] });
    expect(byBeta.json()).toEqual({ acknowledged: [toBeta.id], unknown: [toGamma.id] });
    expect((await inbox(t, beta)).items).toEqual([]);
    // Twice is harmless: still acknowledged, the first time kept.
    const [row] = (await recipientRows(t, room.id)).filter((r) => r.message_id === toBeta.id);
    expect((await ack(t, beta, { message_ids: [toBeta.id] })).json()).toEqual({
      acknowledged: [toBeta.id],
      unknown: [],
    });
    const [again] = (await recipientRows(t, room.id)).filter((r) => r.message_id === toBeta.id);
    expect(again?.acknowledged_at).toEqual(row?.acknowledged_at);
    expect((await recipientRows(t, room.id)).find((r) => r.message_id === toGamma.id)?.acknowledged_at).toBeNull();
    await drain(gamma);
  });

  it('refuses odd acknowledgements with 400 and changes nothing', async () => {
    const toBeta = await send(alpha, '@beta keep me');
    const odd: unknown[] = [
      {},
      { message_ids: [] },
      { message_ids: ['not-a-uuid'] },
      { message_ids: [toBeta.id], also: 'this' },
      { message_ids: Array.from({ length: 501 }, () => randomUUID()) },
      { message_ids: toBeta.id },
      { message_ids: [42] },
    ];
    for (const payload of odd)
      expect((await ack(t, beta, payload)).statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400);
    expect((await inbox(t, beta)).items.map((i) => i.message.id)).toEqual([toBeta.id]);
    // The largest list is accepted.
    const many = [toBeta.id, ...Array.from({ length: 499 }, () => randomUUID())];
    const res = await ack(t, beta, { message_ids: many });
    expect(res.json<{ acknowledged: string[]; unknown: string[] }>()).toMatchObject({ acknowledged: [toBeta.id] });
  });

  it('marks delivered what reaches a live socket, not what an absent agent misses; inbox:ack over the socket', async () => {
    const live = await connectAgent(t.url, beta.jwt);
    const toLive = await send(alpha, '@beta you are here');
    const toAbsent = await send(alpha, '@gamma you are away');
    const delivered = await eventually('the delivery mark', async () =>
      (await recipientRows(t, room.id)).find((r) => r.message_id === toLive.id && r.delivered_at),
    );
    expect(delivered.agent_id).toBe(beta.agent.id);
    expect((await recipientRows(t, room.id)).find((r) => r.message_id === toAbsent.id)?.delivered_at).toBeNull();
    const item = (await inbox(t, beta)).items.find((i) => i.message.id === toLive.id);
    expect(item?.delivered_at).toEqual(expect.any(String));
    expect(await live.ask('inbox:ack', { message_ids: [toLive.id, toAbsent.id] })).toEqual({
      ok: true,
      acknowledged: [toLive.id],
      unknown: [toAbsent.id],
    });
    expect(await live.ask('inbox:ack', { message_ids: ['x'] })).toMatchObject({ ok: false, error: 'invalid_request' });
    expect(await until('the pending count', () => live.inboxPending[0] !== undefined)).toBe(true);
    const again = await connectAgent(t.url, gamma.jwt);
    expect(await until('the pending count', () => again.inboxPending[0])).toBe(1);
  });
});
