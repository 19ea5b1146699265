import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import {
  createRoom,
  createRoomAgent,
  headersOf,
  postMessage,
  type Caller,
  type RoomAgent,
  type WireRoom,
} from '../harness/rooms.js';
import { insertDirectRoom, search, searchRequest } from '../harness/search.js';

const WORD = 'walrus';

describe('who finds what in a search', () => {
  let t: TestApp;
  let admin: Person;
  let alice: Person;
  let bob: Person;
  let victor: Person;
  let carol: Person;
  let aliceRoom: WireRoom;
  let teamRoom: WireRoom;
  let bobRoom: WireRoom;
  let aliceAgent: RoomAgent;
  let aliceIdle: RoomAgent;
  let aliceAdminAgent: RoomAgent;
  let bobAgent: RoomAgent;
  let agentsDm: { id: string };
  let personDm: { id: string };

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    [alice, bob, victor, carol] = (await Promise.all(
      ['Alice', 'Bob', 'Victor', 'Carol'].map((name) => createUser(t, admin, { name })),
    )) as [Person, Person, Person, Person];
    const team = (
      await t.app.inject({ method: 'POST', url: '/api/v1/teams', headers: alice.headers, payload: { name: 'Ops' } })
    ).json<{ team: { id: string } }>().team;
    const joined = await t.app.inject({
      method: 'POST',
      url: `/api/v1/teams/${team.id}/members`,
      headers: alice.headers,
      payload: { email: victor.email, role: 'viewer' },
    });
    expect(joined.statusCode).toBe(201);
    aliceRoom = await createRoom(t, alice, { name: 'Alice personal' });
    teamRoom = await createRoom(t, alice, { name: 'Ops team', team_id: team.id });
    bobRoom = await createRoom(t, bob, { name: 'Bob personal' });
    aliceAgent = await createRoomAgent(t, admin, { owner: alice, rooms: [aliceRoom.id] });
    aliceIdle = await createRoomAgent(t, admin, { owner: alice });
    aliceAdminAgent = await createRoomAgent(t, admin, { owner: alice, role: 'admin' });
    bobAgent = await createRoomAgent(t, admin, { owner: bob, rooms: [bobRoom.id] });
    for (const [by, room] of [
      [alice, aliceRoom],
      [alice, teamRoom],
      [bob, bobRoom],
    ] as const)
      expect((await postMessage(t, by, room.id, `a ${WORD} in ${room.name}`)).statusCode).toBe(201);
    // Bob's room holds many better and newer matches: a LIMIT before the tenancy filter would starve Alice's page.
    for (let i = 0; i < 30; i++) await postMessage(t, bob, bobRoom.id, `${WORD} ${WORD} ${WORD} noise ${i}`);
    agentsDm = await insertDirectRoom(t, {
      ownerId: alice.id,
      agentIds: [aliceAgent.agent.id, bobAgent.agent.id],
      bodies: [`a private ${WORD} between two agents`],
    });
    personDm = await insertDirectRoom(t, {
      ownerId: alice.id,
      agentIds: [aliceAgent.agent.id],
      userId: carol.id,
      bodies: [`a private ${WORD} between an agent and carol`],
    });
  });
  afterAll(() => t.close());

  const roomsFound = async (by: Caller, query: Record<string, string> = {}) =>
    new Set((await search(t, by, { q: WORD, limit: 100, ...query })).results.map((r) => r.room_id));
  const listed = async (by: Caller) =>
    (await t.app.inject({ url: '/api/v1/rooms', headers: headersOf(by) })).json<{ rooms: WireRoom[] }>().rooms;

  it('shows each caller the rooms GET /api/v1/rooms shows it, plus only its own direct rooms', async () => {
    const direct = new Set([agentsDm.id, personDm.id]);
    const expected: [string, Caller, string[]][] = [
      ['owner', alice, [aliceRoom.id, teamRoom.id]],
      ['team viewer', victor, [teamRoom.id]],
      ['another user', bob, [bobRoom.id]],
      ['the person of a direct room', carol, [personDm.id]],
      ['server admin', admin, [aliceRoom.id, teamRoom.id, bobRoom.id]],
      ['member agent', aliceAgent, [aliceRoom.id, agentsDm.id, personDm.id]],
      ['same-tenant agent in no room', aliceIdle, []],
      ['admin agent', aliceAdminAgent, [aliceRoom.id, teamRoom.id]],
      ['other-tenant agent', bobAgent, [bobRoom.id, agentsDm.id]],
    ];
    for (const [who, caller, rooms] of expected) {
      const found = await roomsFound(caller);
      expect([...found].sort(), who).toEqual([...rooms].sort());
      const ordinary = (await listed(caller)).filter((r) => !direct.has(r.id)).map((r) => r.id);
      expect([...found].filter((id) => !direct.has(id)).sort(), `${who} vs GET /api/v1/rooms`).toEqual(ordinary.sort());
    }
  });

  it('filters by tenancy inside the query, so a page is full even when other tenants hold better matches', async () => {
    const page = await search(t, alice, { q: WORD, limit: 2 });
    expect(page.results.map((r) => r.room_id).sort()).toEqual([aliceRoom.id, teamRoom.id].sort());
    expect(page.next_cursor).toBeNull();
  });

  it('answers room_id of a room the caller may not read with 404, like any room it may not know exists', async () => {
    const refused: [Caller, string][] = [
      [bob, aliceRoom.id],
      [victor, aliceRoom.id],
      [bobAgent, aliceRoom.id],
      [aliceIdle, aliceRoom.id],
      [alice, bobRoom.id],
      [alice, agentsDm.id],
      [alice, personDm.id],
      [admin, agentsDm.id],
      [aliceAdminAgent, agentsDm.id],
      [aliceAdminAgent, personDm.id],
      [carol, agentsDm.id],
      [alice, randomUUID()],
      [alice, 'no-such-slug'],
    ];
    for (const [caller, roomId] of refused) {
      const res = await searchRequest(t, caller, { q: WORD, room_id: roomId });
      expect(res.statusCode, roomId).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_found', message: 'Room not found.' });
    }
    expect((await roomsFound(victor, { room_id: teamRoom.id })).size).toBe(1);
    expect((await roomsFound(bobAgent, { room_id: agentsDm.id })).size).toBe(1);
    expect((await roomsFound(carol, { room_id: personDm.id })).size).toBe(1);
    expect((await roomsFound(admin, { room_id: bobRoom.id })).size).toBe(1);
  });

  it('refuses anonymous callers', async () => {
    const res = await t.app.inject({ url: `/api/v1/search/messages?q=${WORD}` });
    expect(res.statusCode).toBe(401);
  });
});
