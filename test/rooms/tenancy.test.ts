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
  storedSeqs,
  type Caller,
  type RoomAgent,
  type WireRoom,
} from '../harness/rooms.js';
import { closeAllSockets, connectAgent } from '../harness/sockets.js';

describe('rooms across tenants', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let alice: Person;
  let bob: Person;
  let aliceRoom: WireRoom;
  let aliceAgent: RoomAgent;
  let bobAgent: RoomAgent;
  let bobAdminAgent: RoomAgent;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    alice = await createUser(t, admin, { name: 'Alice' });
    bob = await createUser(t, admin, { name: 'Bob' });
    aliceRoom = await createRoom(t, alice, { slug: 'general' });
    aliceAgent = await createRoomAgent(t, admin, { owner: alice, rooms: [aliceRoom.id] });
    await postMessage(t, alice, aliceRoom.id, 'for alice only');
    bobAgent = await createRoomAgent(t, admin, { owner: bob });
    bobAdminAgent = await createRoomAgent(t, admin, { owner: bob, role: 'admin' });
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  const get = (by: Caller, url: string) => t.app.inject({ url, headers: headersOf(by) });

  it('hides a room of another tenant from people and agents: 404 by uuid and by slug, absent from lists', async () => {
    for (const outsider of [bob, bobAgent, bobAdminAgent] as Caller[]) {
      expect((await get(outsider, `/api/v1/rooms/${aliceRoom.id}`)).statusCode).toBe(404);
      expect((await get(outsider, `/api/v1/rooms/general`)).statusCode).toBe(404);
      expect((await get(outsider, `/api/v1/rooms/${aliceRoom.id}/messages`)).statusCode).toBe(404);
      const list = await get(outsider, '/api/v1/rooms');
      expect(list.statusCode).toBe(200);
      expect(list.json<{ rooms: WireRoom[] }>().rooms.map((r) => r.id)).not.toContain(aliceRoom.id);
    }
  });

  it("refuses to write to another tenant's room with 404: messages, members, archive", async () => {
    for (const outsider of [bob, bobAdminAgent] as Caller[]) {
      expect((await postMessage(t, outsider, aliceRoom.id, 'intrusion')).statusCode).toBe(404);
      expect((await addMember(t, outsider, aliceRoom.id, bobAgent.agent.id)).statusCode).toBe(404);
      expect((await removeMember(t, outsider, aliceRoom.id, aliceAgent.agent.id)).statusCode).toBe(404);
      const archive = await t.app.inject({
        method: 'POST',
        url: `/api/v1/rooms/${aliceRoom.id}/archive`,
        headers: headersOf(outsider),
      });
      expect(archive.statusCode).toBe(404);
    }
    expect((await postMessage(t, bobAgent, aliceRoom.id, 'intrusion')).statusCode).toBe(404);
    const room = await get(alice, `/api/v1/rooms/${aliceRoom.id}`);
    expect(room.json<{ room: WireRoom; members: { agent_id: string }[] }>()).toMatchObject({
      room: { archived_at: null, last_seq: 1 },
      members: [{ agent_id: aliceAgent.agent.id }],
    });
  });

  it("answers adding another tenant's agent with 404 when the caller cannot see it, 403 agent_not_in_tenant when it can", async () => {
    const hidden = await addMember(t, alice, aliceRoom.id, bobAgent.agent.id);
    expect(hidden.statusCode).toBe(404);
    // The server admin sees every agent, but the room's tenant still decides.
    const visible = await addMember(t, admin, aliceRoom.id, bobAgent.agent.id);
    expect(visible.statusCode).toBe(403);
    expect(visible.json()).toMatchObject({ error: 'agent_not_in_tenant' });
    const members = await get(alice, `/api/v1/rooms/${aliceRoom.id}`);
    expect(members.json<{ members: { agent_id: string }[] }>().members.map((m) => m.agent_id)).toEqual([
      aliceAgent.agent.id,
    ]);
  });

  it("refuses an agent of another tenant on sockets: no join, no send, no broadcasts of Alice's room", async () => {
    const intruder = await connectAgent(t.url, bobAgent.jwt);
    expect(intruder.hello.rooms).toEqual([]);
    expect(await intruder.ask('room:join', { room_id: aliceRoom.id, since_seq: 0 })).toMatchObject({
      ok: false,
      error: 'forbidden',
    });
    expect(await intruder.send(aliceRoom.id, 'intrusion')).toMatchObject({ ok: false, error: 'forbidden' });
    const insider = await connectAgent(t.url, aliceAgent.jwt);
    expect(await insider.send(aliceRoom.id, 'private')).toMatchObject({ ok: true });
    await intruder.ask('room:leave', { room_id: aliceRoom.id });
    expect(intruder.received).toEqual([]);
    expect(intruder.presence).toEqual([]);
  });

  it('keeps slugs per owner: the same slug in two tenants names two rooms', async () => {
    const bobs = await createRoom(t, bob, { slug: 'general' });
    expect(bobs.id).not.toBe(aliceRoom.id);
    expect((await get(bob, '/api/v1/rooms/general')).json<{ room: WireRoom }>().room.id).toBe(bobs.id);
    expect((await get(alice, '/api/v1/rooms/general')).json<{ room: WireRoom }>().room.id).toBe(aliceRoom.id);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/rooms',
      headers: alice.headers,
      payload: { slug: 'general', name: 'Again' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'slug_taken' });
  });

  it('lets a team share a room: team agents join it, members post, viewers only read', async () => {
    const carol = await createUser(t, admin, { name: 'Carol' });
    const victor = await createUser(t, admin, { name: 'Victor' });
    const team = (
      await t.app.inject({ method: 'POST', url: '/api/v1/teams', headers: alice.headers, payload: { name: 'Ops' } })
    ).json<{ team: { id: string } }>().team;
    for (const [person, role] of [
      [carol, 'member'],
      [victor, 'viewer'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/teams/${team.id}/members`,
        headers: alice.headers,
        payload: { email: person.email, role },
      });
      expect(res.statusCode).toBe(201);
    }
    const room = await createRoom(t, alice, { team_id: team.id });
    expect(room.team_id).toBe(team.id);
    // Carol's agent belongs to the team, not to Alice: the team makes it the same tenant.
    const carolsAgent = await createRoomAgent(t, admin, { owner: carol, teamId: team.id });
    expect((await addMember(t, alice, room.id, carolsAgent.agent.id)).statusCode).toBe(201);

    expect((await postMessage(t, carol, room.id, 'from a team member')).statusCode).toBe(201);
    const viewerPost = await postMessage(t, victor, room.id, 'from a viewer');
    expect(viewerPost.statusCode).toBe(403);
    expect((await history(t, victor, room.id)).messages.map((m) => m.body)).toEqual(['from a team member']);
    expect((await get(bob, `/api/v1/rooms/${room.id}`)).statusCode).toBe(404);

    const client = await connectAgent(t.url, carolsAgent.jwt);
    expect(client.hello.rooms.map((r) => r.id)).toEqual([room.id]);
    expect(await client.send(room.id, 'from the team agent')).toMatchObject({ ok: true, message: { seq: 2 } });
    expect(await storedSeqs(t, room.id)).toEqual([1, 2]);
  });
});
