import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createTeam, direct, eventually, inbox, inboxOf, recipientRows, sendDirect } from '../harness/coordination.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import {
  addMember,
  createRoomAgent,
  headersOf,
  postMessage,
  storedSeqs,
  type Caller,
  type RoomAgent,
  type WireRoom,
} from '../harness/rooms.js';
import { closeAllSockets, connectAgent, until } from '../harness/sockets.js';

describe('direct messages', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  /** Owns alpha; team T with `mate` (member, owns beta), `teamAdmin` and `viewer`. */
  let owner: Person;
  let mate: Person;
  let teamAdmin: Person;
  let viewer: Person;
  let stranger: Person;
  let alpha: RoomAgent;
  let beta: RoomAgent;
  let adminAgent: RoomAgent;
  let foreign: RoomAgent;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Owner' });
    mate = await createUser(t, admin, { name: 'Mate' });
    teamAdmin = await createUser(t, admin, { name: 'Team Admin' });
    viewer = await createUser(t, admin, { name: 'Viewer' });
    stranger = await createUser(t, admin, { name: 'Stranger' });
    const teamId = await createTeam(t, owner, [
      { person: mate, role: 'member' },
      { person: teamAdmin, role: 'admin' },
      { person: viewer, role: 'viewer' },
    ]);
    alpha = await createRoomAgent(t, admin, { owner, teamId, name: 'alpha' });
    beta = await createRoomAgent(t, admin, { owner: mate, teamId, name: 'beta' });
    adminAgent = await createRoomAgent(t, admin, { owner, teamId, role: 'admin', name: 'boss' });
    foreign = await createRoomAgent(t, admin, { owner: stranger, name: 'foreign' });
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  const get = (by: Caller, url: string) => t.app.inject({ url, headers: headersOf(by) });

  it('creates a private room of two on the first send and reuses it both ways', async () => {
    const first = await direct(t, alpha, beta.agent.id, 'hello beta');
    expect(first.room).toMatchObject({ kind: 'direct', owner_id: owner.id, team_id: null });
    expect(first.room.slug).toMatch(/^dm-[0-9a-f]{24}$/);
    expect(first.message).toMatchObject({ seq: 1, sender_id: alpha.agent.id, body: 'hello beta' });
    const back = await direct(t, beta, alpha.agent.id, 'hello alpha');
    expect(back.room.id).toBe(first.room.id);
    expect(back.message.seq).toBe(2);
    const members = (await get(alpha, `/api/v1/rooms/${first.room.id}`)).json<{ members: { agent_id: string }[] }>();
    expect(members.members.map((m) => m.agent_id).sort()).toEqual([alpha.agent.id, beta.agent.id].sort());
    // Each message is addressed to the other participant, reason direct.
    expect((await recipientRows(t, first.room.id)).map((r) => [r.message_id, r.agent_id, r.user_id, r.reason])).toEqual(
      [
        [first.message.id, beta.agent.id, null, 'direct'],
        [back.message.id, alpha.agent.id, null, 'direct'],
      ],
    );
    const betaInbox = await inbox(t, beta);
    expect(betaInbox.items.map((i) => [i.message.id, i.reason, i.room.kind])).toEqual([
      [first.message.id, 'direct', 'direct'],
    ]);
  });

  it('makes one room when two first sends race, in both directions', async () => {
    const one = await createRoomAgent(t, admin, { owner, name: 'racer-one' });
    const two = await createRoomAgent(t, admin, { owner, name: 'racer-two' });
    const sends = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0
          ? sendDirect(t, one, two.agent.id, { body: `a${i}` })
          : sendDirect(t, two, one.agent.id, { body: `b${i}` }),
      ),
    );
    expect(sends.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201, 201]);
    const roomIds = new Set(sends.map((r) => r.json<{ room: WireRoom }>().room.id));
    expect(roomIds.size).toBe(1);
    const [roomId] = [...roomIds] as [string];
    expect(await storedSeqs(t, roomId)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps a direct room from everyone but its participants: owners, team admins, server admins, admin agents', async () => {
    const { room } = await direct(t, alpha, beta.agent.id, 'just between us');
    const outsiders: Caller[] = [owner, mate, teamAdmin, viewer, admin, adminAgent, foreign, stranger];
    for (const outsider of outsiders) {
      expect((await get(outsider, `/api/v1/rooms/${room.id}`)).statusCode).toBe(404);
      expect((await get(outsider, `/api/v1/rooms/${room.slug}`)).statusCode).toBe(404);
      expect((await get(outsider, `/api/v1/rooms/${room.id}/messages`)).statusCode).toBe(404);
      expect((await postMessage(t, outsider, room.id, 'let me in')).statusCode).toBe(404);
      expect((await inboxOf(t, outsider, { room_id: room.id })).statusCode).toBe(404);
      const list = await get(outsider, '/api/v1/rooms');
      expect(list.json<{ rooms: WireRoom[] }>().rooms.map((r) => r.id)).not.toContain(room.id);
    }
    // The room page and its stream answer the same to people.
    for (const person of [owner, teamAdmin, admin]) {
      expect((await get(person, `/rooms/${room.id}`)).statusCode).toBe(404);
      expect((await get(person, `/rooms/${room.id}/stream?once=1`)).statusCode).toBe(404);
    }
    expect((await addMember(t, owner, room.id, adminAgent.agent.id)).statusCode).toBe(404);
    // Its participants read it, list it and reply in it with the ordinary room send.
    expect((await get(beta, `/api/v1/rooms/${room.slug}`)).statusCode).toBe(200);
    expect((await get(alpha, '/api/v1/rooms')).json<{ rooms: WireRoom[] }>().rooms.map((r) => r.id)).toContain(room.id);
    const reply = await postMessage(t, beta, room.id, 'a reply');
    expect(reply.statusCode).toBe(201);
    const replyId = reply.json<{ message: { id: string } }>().message.id;
    expect((await recipientRows(t, room.id)).find((r) => r.message_id === replyId)).toMatchObject({
      agent_id: alpha.agent.id,
      reason: 'direct',
    });
  });

  it('refuses to archive a direct room or change its members, even for its participants', async () => {
    const { room } = await direct(t, alpha, beta.agent.id, 'fixed pair');
    const archive = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rooms/${room.id}/archive`,
      headers: headersOf(adminAgent),
    });
    expect(archive.statusCode).toBe(404);
    const person = await direct(t, owner, alpha.agent.id, 'from a person');
    const byParticipant = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rooms/${person.room.id}/archive`,
      headers: owner.headers,
    });
    expect(byParticipant.statusCode).toBe(409);
    expect(byParticipant.json()).toMatchObject({ error: 'direct_room' });
    expect((await addMember(t, owner, person.room.id, beta.agent.id)).json()).toMatchObject({ error: 'direct_room' });
  });

  it('lets a person write to an agent they may use, and the agent answer into their inbox', async () => {
    const first = await direct(t, mate, alpha.agent.id, 'hi alpha, from mate');
    expect(first.room).toMatchObject({ kind: 'direct', owner_id: mate.id });
    const answer = await postMessage(t, alpha, first.room.id, 'hi mate');
    expect(answer.statusCode).toBe(201);
    const mateInbox = await inbox(t, mate);
    expect(mateInbox.items.map((i) => [i.message.body, i.reason])).toEqual([['hi mate', 'direct']]);
    expect(mateInbox.pending).toBe(1);
    // Who may not use the agent may not write to it: 404, nothing stored.
    for (const refused of [viewer, stranger])
      expect((await sendDirect(t, refused, alpha.agent.id, { body: 'hello?' })).statusCode).toBe(404);
  });

  it('answers 404 for an agent of another tenant or one that does not exist, and 400 for oneself', async () => {
    const before = await recipientRows(t);
    expect((await sendDirect(t, alpha, foreign.agent.id, { body: 'hi' })).statusCode).toBe(404);
    expect((await sendDirect(t, foreign, alpha.agent.id, { body: 'hi' })).statusCode).toBe(404);
    expect((await sendDirect(t, alpha, '00000000-0000-4000-8000-000000000000', { body: 'hi' })).statusCode).toBe(404);
    const self = await sendDirect(t, alpha, alpha.agent.id, { body: 'hi me' });
    expect(self.statusCode).toBe(400);
    expect(self.json()).toMatchObject({ error: 'direct_to_self' });
    expect((await sendDirect(t, alpha, beta.agent.id, { body: 'hi', extra: true })).statusCode).toBe(400);
    expect((await sendDirect(t, alpha, beta.agent.id, { body: '' })).statusCode).toBe(400);
    expect((await sendDirect(t, alpha, 'not-a-uuid', { body: 'hi' })).statusCode).toBe(400);
    expect(await recipientRows(t)).toHaveLength(before.length);
  });

  it('sends over socket dm:send: the other agent gets message:new live and the row is marked delivered', async () => {
    const gamma = await createRoomAgent(t, admin, { owner, name: 'gamma' });
    const delta = await createRoomAgent(t, admin, { owner, name: 'delta' });
    const sender = await connectAgent(t.url, gamma.jwt);
    const receiver = await connectAgent(t.url, delta.jwt);
    const sent = await sender.ask('dm:send', { agent_id: delta.agent.id, body: 'live one', client_msg_id: 'dm-1' });
    expect(sent).toMatchObject({ ok: true, duplicate: false, room: { kind: 'direct' }, message: { seq: 1 } });
    await until('the DM at the receiver', () => receiver.received.some((m) => m.body === 'live one'));
    const again = await sender.ask('dm:send', { agent_id: delta.agent.id, body: 'live one', client_msg_id: 'dm-1' });
    expect(again).toMatchObject({ ok: true, duplicate: true, message: { seq: 1 } });
    const roomId = (sent as unknown as { room: { id: string } }).room.id;
    const row = await eventually('the delivery mark', async () => (await recipientRows(t, roomId))[0]?.delivered_at);
    expect(row).toBeTruthy();
    expect(await sender.ask('dm:send', { agent_id: foreign.agent.id, body: 'x' })).toMatchObject({
      ok: false,
      error: 'not_found',
    });
    expect(await sender.ask('dm:send', { agent_id: delta.agent.id })).toMatchObject({
      ok: false,
      error: 'invalid_request',
    });
  });
});
