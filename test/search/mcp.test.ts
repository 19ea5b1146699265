import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { closeAllMcp, connectMcp } from '../harness/mcp.js';
import { createRoom, createRoomAgent, postMessage, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { insertDirectRoom, type WireHit, type WireSearchPage } from '../harness/search.js';

describe('search_messages over MCP', () => {
  let t: TestApp & { url: string };
  let alice: Person;
  let room: WireRoom;
  let hidden: WireRoom;
  let member: RoomAgent;
  let idle: RoomAgent;
  let stranger: RoomAgent;
  let direct: { id: string };

  beforeAll(async () => {
    t = await startTestServer();
    const admin = await signInAdmin(t);
    alice = await createUser(t, admin);
    const bob = await createUser(t, admin);
    room = await createRoom(t, alice, { name: 'Ops', slug: 'ops' });
    hidden = await createRoom(t, bob, { name: 'Bob' });
    member = await createRoomAgent(t, admin, { owner: alice, rooms: [room.id], name: 'builder' });
    idle = await createRoomAgent(t, admin, { owner: alice });
    stranger = await createRoomAgent(t, admin, { owner: bob, rooms: [hidden.id] });
    for (let i = 1; i <= 12; i++) await postMessage(t, alice, room.id, `flaky test number ${i} in the auth suite`);
    await postMessage(t, bob, hidden.id, 'flaky test in a room builder may not read');
    direct = await insertDirectRoom(t, {
      ownerId: alice.id,
      agentIds: [member.agent.id, stranger.agent.id],
      bodies: ['a flaky test we discussed in private'],
    });
  });
  afterAll(async () => {
    await closeAllMcp();
    await t.close();
  });

  it('lists the tool and finds, ranked and paged, only what the agent reads', async () => {
    const mcp = await connectMcp(t.url, member.jwt);
    const { tools } = await mcp.client.listTools();
    expect(tools.find((tool) => tool.name === 'search_messages')?.annotations?.readOnlyHint).toBe(true);
    const first = await mcp.ok<WireSearchPage>('search_messages', { query: 'flaky tests', limit: 10 });
    expect(first.results).toHaveLength(10);
    expect(first.next_cursor).not.toBeNull();
    const rest = await mcp.ok<WireSearchPage>('search_messages', {
      query: 'flaky tests',
      limit: 10,
      cursor: first.next_cursor,
    });
    const all: WireHit[] = [...first.results, ...rest.results];
    expect(rest.next_cursor).toBeNull();
    expect(new Set(all.map((h) => h.message_id)).size).toBe(13);
    expect(new Set(all.map((h) => h.room_id))).toEqual(new Set([room.id, direct.id]));
    expect(all[0]?.snippet_parts.filter((p) => p.highlighted).map((p) => p.text)).toEqual(['flaky', 'test']);
    const inRoom = await mcp.ok<WireSearchPage>('search_messages', { query: 'auth suite', room: 'ops', limit: 50 });
    expect(inRoom.results).toHaveLength(12);
  });

  it('gives a same-tenant agent outside the room nothing, and 404 for the room', async () => {
    const mcp = await connectMcp(t.url, idle.jwt);
    expect((await mcp.ok<WireSearchPage>('search_messages', { query: 'flaky' })).results).toEqual([]);
    expect(await mcp.fails('search_messages', { query: 'flaky', room: room.id })).toContain('(not_found)');
  });

  it('answers bad input with a tool error that names it, never an internal error', async () => {
    const mcp = await connectMcp(t.url, stranger.jwt);
    expect(await mcp.fails('search_messages', { query: 'the of' })).toContain('(query_without_terms)');
    expect(await mcp.fails('search_messages', { query: 'x'.repeat(10_000) })).toContain('(query_too_long)');
    expect(await mcp.fails('search_messages', { query: 'flaky', from: 'last week' })).toContain('from:');
    expect(await mcp.fails('search_messages', { query: 'flaky', cursor: 'nope' })).toContain('(invalid_cursor)');
    expect(await mcp.fails('search_messages', { query: 'flaky', room: room.id })).toContain('(not_found)');
    const own = await mcp.ok<WireSearchPage>('search_messages', { query: '"flaky test"', limit: 50 });
    expect(new Set(own.results.map((h) => h.room_id))).toEqual(new Set([hidden.id, direct.id]));
  });
});
