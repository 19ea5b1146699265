import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import {
  addMember,
  createRoom,
  createRoomAgent,
  headersOf,
  history,
  postMessage,
  removeMember,
  uniqueSlug,
  type Caller,
  type WireRoom,
} from '../harness/rooms.js';
import { closeAllSockets, connectAgent, roundTrip, until, type WireMessage } from '../harness/sockets.js';

describe('the rooms REST API', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Olga Owner', plan: 'pro' });
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  const create = (by: Caller | undefined, payload: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/rooms',
      headers: by ? headersOf(by) : {},
      payload,
    });
  const get = (by: Caller, url: string) => t.app.inject({ url, headers: headersOf(by) });
  const archive = (by: Caller, roomId: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/rooms/${roomId}/archive`, headers: headersOf(by) });

  it('creates rooms for people and admin agents, and refuses plain agents, strangers and bad slugs', async () => {
    const byPerson = await create(owner, { slug: 'ops', name: 'Operations' });
    expect(byPerson.statusCode).toBe(201);
    expect(byPerson.json()).toEqual({
      room: {
        id: expect.any(String) as string,
        slug: 'ops',
        name: 'Operations',
        owner_id: owner.id,
        team_id: null,
        last_seq: 0,
        created_at: expect.any(String) as string,
        archived_at: null,
        kind: 'room',
      },
    });
    const adminAgent = await createRoomAgent(t, admin, { owner, role: 'admin' });
    const byAdminAgent = await create(adminAgent, { slug: 'made-by-an-agent', name: 'Bots' });
    expect(byAdminAgent.statusCode).toBe(201);
    expect(byAdminAgent.json()).toMatchObject({ room: { owner_id: owner.id, team_id: null } });

    const plainAgent = await createRoomAgent(t, admin, { owner });
    const byPlainAgent = await create(plainAgent, { slug: 'nope', name: 'Nope' });
    expect(byPlainAgent.statusCode).toBe(403);
    expect(byPlainAgent.json()).toMatchObject({ error: 'forbidden' });
    expect((await create(undefined, { slug: 'anon', name: 'Anon' })).statusCode).toBe(401);

    for (const slug of ['Upper', 'has space', '-leading', '', 'x'.repeat(65)]) {
      const res = await create(owner, { slug, name: 'Bad' });
      expect(res.statusCode, slug).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request', details: expect.any(Array) as unknown });
    }
  });

  it('lists every room of the tenant to people and admin agents, and only their rooms to plain agents', async () => {
    const rooms = [await createRoom(t, owner), await createRoom(t, owner)];
    const member = await createRoomAgent(t, admin, { owner, rooms: [rooms[0]!.id] });
    const adminAgent = await createRoomAgent(t, admin, { owner, role: 'admin' });
    const ids = async (by: Caller) =>
      (await get(by, '/api/v1/rooms')).json<{ rooms: WireRoom[] }>().rooms.map((r) => r.id);
    expect(await ids(owner)).toEqual(expect.arrayContaining(rooms.map((r) => r.id)));
    expect(await ids(adminAgent)).toEqual(expect.arrayContaining(rooms.map((r) => r.id)));
    expect(await ids(member)).toEqual([rooms[0]!.id]);
  });

  it('gets a room with its members by uuid and by slug; plain agents outside it get 404', async () => {
    const room = await createRoom(t, owner, { name: 'Lookup' });
    const member = await createRoomAgent(t, admin, { owner, rooms: [room.id], name: 'lookup-member' });
    const outsider = await createRoomAgent(t, admin, { owner });
    for (const key of [room.id, room.slug]) {
      for (const by of [owner, member] as Caller[]) {
        const res = await get(by, `/api/v1/rooms/${key}`);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({
          room,
          members: [
            {
              agent_id: member.agent.id,
              name: 'lookup-member',
              display_name: null,
              server_id: null,
              joined_at: expect.any(String) as string,
            },
          ],
        });
      }
      expect((await get(outsider, `/api/v1/rooms/${key}`)).statusCode).toBe(404);
    }
    expect((await get(owner, `/api/v1/rooms/${uniqueSlug('missing')}`)).statusCode).toBe(404);
  });

  it('moves live sockets at once when members are added and removed', async () => {
    const room = await createRoom(t, owner);
    const talker = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
    const newcomer = await createRoomAgent(t, admin, { owner });
    const speaking = await connectAgent(t.url, talker.jwt);
    const listening = await connectAgent(t.url, newcomer.jwt);
    expect(listening.hello.rooms).toEqual([]);

    const added = await addMember(t, owner, room.id, newcomer.agent.id);
    expect(added.statusCode).toBe(201);
    expect(added.json()).toEqual({ room_id: room.id, agent_id: newcomer.agent.id, added: true });
    expect((await addMember(t, owner, room.id, newcomer.agent.id)).json()).toMatchObject({ added: false });
    await speaking.send(room.id, 'welcome aboard');
    await until('the first message without reconnecting', () => listening.received.length === 1);
    expect(listening.received[0]).toMatchObject({ seq: 1, body: 'welcome aboard' });
    expect(speaking.presence.at(-1)).toEqual({
      room_id: room.id,
      joined: [{ agent_id: newcomer.agent.id, name: newcomer.agent.name }],
      left: [],
    });
    expect(await listening.send(room.id, 'thanks')).toMatchObject({ ok: true });

    expect((await removeMember(t, owner, room.id, newcomer.agent.id)).statusCode).toBe(204);
    await speaking.send(room.id, 'after removal');
    await roundTrip(listening);
    expect(listening.received.map((m) => m.body)).toEqual(['welcome aboard', 'thanks']);
    expect(await listening.send(room.id, 'still here?')).toMatchObject({ ok: false, error: 'forbidden' });
    expect(await listening.ask('room:join', { room_id: room.id })).toMatchObject({ ok: false, error: 'forbidden' });
    expect((await removeMember(t, owner, room.id, newcomer.agent.id)).statusCode).toBe(404);
  });

  it('lets admin agents manage members and refuses plain member agents with 403', async () => {
    const room = await createRoom(t, owner);
    const adminAgent = await createRoomAgent(t, admin, { owner, role: 'admin' });
    const plain = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
    const other = await createRoomAgent(t, admin, { owner });
    expect((await addMember(t, plain, room.id, other.agent.id)).statusCode).toBe(403);
    expect((await removeMember(t, plain, room.id, plain.agent.id)).statusCode).toBe(403);
    expect((await archive(plain, room.id)).statusCode).toBe(403);
    expect((await addMember(t, adminAgent, room.id, other.agent.id)).statusCode).toBe(201);
    expect((await removeMember(t, adminAgent, room.id, other.agent.id)).statusCode).toBe(204);
  });

  it('archives a room: sockets leave it, sends fail with room_archived, history stays readable', async () => {
    const room = await createRoom(t, owner);
    const a = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
    const b = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
    const sa = await connectAgent(t.url, a.jwt);
    const sb = await connectAgent(t.url, b.jwt);
    await sa.send(room.id, 'last words');

    const res = await archive(owner, room.id);
    expect(res.statusCode).toBe(200);
    expect(res.json<{ room: WireRoom }>().room.archived_at).toEqual(expect.any(String));
    expect((await archive(owner, room.id)).statusCode).toBe(200);

    expect(await sa.send(room.id, 'anyone?')).toMatchObject({ ok: false, error: 'room_archived' });
    const overHttp = await postMessage(t, b, room.id, 'anyone?');
    expect(overHttp.statusCode).toBe(409);
    expect(overHttp.json()).toMatchObject({ error: 'room_archived' });
    expect((await postMessage(t, owner, room.id, 'anyone?')).statusCode).toBe(409);
    expect(await sb.ask('room:join', { room_id: room.id })).toMatchObject({ ok: false, error: 'room_archived' });
    await roundTrip(sb);
    expect(sb.received.map((m) => m.body)).toEqual(['last words']);
    expect((await history(t, a, room.id)).messages.map((m) => m.body)).toEqual(['last words']);
    // A reconnecting member is no longer put in it.
    expect((await connectAgent(t.url, a.jwt)).hello.rooms).toEqual([]);
  });

  it('posts messages over HTTP as a person or a member agent, broadcast to the sockets like a socket send', async () => {
    const room = await createRoom(t, owner);
    const member = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
    const listener = await connectAgent(t.url, (await createRoomAgent(t, admin, { owner, rooms: [room.id] })).jwt);

    const byPerson = await postMessage(t, owner, room.id, 'hello from a person', 'p-1');
    expect(byPerson.statusCode).toBe(201);
    const personMessage = byPerson.json<{ message: WireMessage }>().message;
    expect(personMessage).toMatchObject({ seq: 1, sender_id: owner.id, sender_type: 'user', client_msg_id: 'p-1' });
    const retried = await postMessage(t, owner, room.id, 'hello from a person', 'p-1');
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toEqual({ message: personMessage });

    const byAgent = await postMessage(t, member, room.id, 'hello from an agent');
    expect(byAgent.statusCode).toBe(201);
    expect(byAgent.json()).toMatchObject({ message: { seq: 2, sender_id: member.agent.id, sender_type: 'agent' } });

    await until('both broadcasts', () => listener.received.length === 2);
    expect(listener.received).toEqual([personMessage, byAgent.json<{ message: WireMessage }>().message]);
    const outsider = await createRoomAgent(t, admin, { owner });
    expect((await postMessage(t, outsider, room.id, 'let me in')).statusCode).toBe(404);
    const empty = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rooms/${room.id}/messages`,
      headers: owner.headers,
      payload: { body: '' },
    });
    expect(empty.statusCode).toBe(400);
    const tooBig = await postMessage(t, owner, room.id, 'x'.repeat(t.config.MESSAGE_MAX_BYTES + 1));
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('pages history newest first and oldest first after a seq, for people and member agents; validates the query', async () => {
    const room = await createRoom(t, owner);
    const member = await createRoomAgent(t, admin, { owner, rooms: [room.id] });
    for (let i = 1; i <= 5; i++) await postMessage(t, owner, room.id, `m${i}`);

    const first = await history(t, member, room.id, { limit: 2 });
    expect(first.messages.map((m) => m.seq)).toEqual([5, 4]);
    expect(first.next_cursor).toBe('4');
    const second = await history(t, owner, room.id, { limit: 2, cursor: first.next_cursor! });
    expect(second.messages.map((m) => m.seq)).toEqual([3, 2]);
    const last = await history(t, owner, room.id, { limit: 2, cursor: second.next_cursor! });
    expect(last).toEqual({ messages: [expect.objectContaining({ seq: 1, body: 'm1' })], next_cursor: null });
    expect((await history(t, member, room.id, { after_seq: 3 })).messages.map((m) => m.body)).toEqual(['m4', 'm5']);
    expect((await history(t, member, room.id)).messages).toHaveLength(5);

    for (const query of ['limit=0', 'limit=201', 'cursor=abc', 'cursor=0', 'after_seq=-1', 'limit=two']) {
      const res = await get(owner, `/api/v1/rooms/${room.id}/messages?${query}`);
      expect(res.statusCode, query).toBe(400);
    }
  });
});
