import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { signInAdmin, createUser, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { highlightsOf, search, searchAll } from '../harness/search.js';

describe('searching messages', () => {
  let t: TestApp;
  let admin: Person;
  let alice: Person;
  let room: WireRoom;
  let other: WireRoom;
  let agent: RoomAgent;

  async function post(by: Person | RoomAgent, roomId: string, body: string) {
    const res = await postMessage(t, by, roomId, body);
    expect(res.statusCode).toBe(201);
    return res.json<{ message: { id: string; seq: number } }>().message;
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    alice = await createUser(t, admin, { name: 'Alice' });
    room = await createRoom(t, alice, { name: 'Ops' });
    other = await createRoom(t, alice, { name: 'Builds' });
    agent = await createRoomAgent(t, admin, { owner: alice, rooms: [room.id, other.id], name: 'deploy-bot' });
  });
  afterAll(() => t.close());

  it('ranks a message matching every term, close together, above one matching fewer', async () => {
    const both = await post(alice, room.id, 'the database migration failed on the replica');
    const one = await post(alice, room.id, 'the migration of the office is planned for spring');
    const apart = await post(alice, room.id, 'migration notes: lorem ipsum dolor sit amet, then the database');
    const { results } = await search(t, alice, { q: 'database migration' });
    expect(results.map((r) => r.message_id)).toEqual([both.id, apart.id]);
    expect(results[0]?.rank).toBeGreaterThan(results[1]?.rank ?? 0);
    const either = await search(t, alice, { q: 'database or migration' });
    const ids = either.results.map((r) => r.message_id);
    expect(ids.indexOf(both.id)).toBeLessThan(ids.indexOf(one.id));
    expect(ids).toContain(apart.id);
  });

  it('finds words by their stem: running finds run, deploys finds deployed', async () => {
    const run = await post(agent, other.id, 'I run the nightly job at two');
    const deployed = await post(agent, other.id, 'deployed version 42 to staging');
    expect((await search(t, alice, { q: 'running' })).results.map((r) => r.message_id)).toContain(run.id);
    expect((await search(t, agent, { q: 'deploys' })).results.map((r) => r.message_id)).toEqual([deployed.id]);
  });

  it('returns where each hit is and who sent it, with the matched words highlighted as structured text', async () => {
    const sent = await post(agent, other.id, 'Rollback of srv-07 complete; the ROLLBACK took 3 minutes');
    const { results } = await search(t, alice, { q: 'rollback' });
    expect(results).toHaveLength(1);
    const [hit] = results;
    expect(hit).toMatchObject({
      message_id: sent.id,
      room_id: other.id,
      room_slug: other.slug,
      room_name: 'Builds',
      room_kind: 'room',
      seq: sent.seq,
      sender_id: agent.agent.id,
      sender_type: 'agent',
      sender_name: 'deploy-bot',
      snippet: 'Rollback of srv-07 complete; the ROLLBACK took 3 minutes',
    });
    expect(hit && highlightsOf(hit)).toEqual(['Rollback', 'ROLLBACK']);
    expect(hit?.snippet_parts.map((p) => p.text).join('')).toBe(hit?.snippet);
    expect(JSON.stringify(hit)).not.toMatch(/HL[se][0-9a-f]{18}/);
  });

  it('matches a quoted phrase only with its words in order', async () => {
    const inOrder = await post(alice, room.id, 'the cache warm up failed again');
    await post(alice, room.id, 'failed to warm the cache');
    const { results } = await search(t, alice, { q: '"cache warm"' });
    expect(results.map((r) => r.message_id)).toEqual([inOrder.id]);
    expect(results[0] && highlightsOf(results[0])).toEqual(['cache', 'warm']);
  });

  it('cuts a long body to fragments around the hits, still highlighted', async () => {
    const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit '.repeat(30);
    await post(alice, room.id, `${filler} the kraken was released ${filler}`);
    const [hit] = (await search(t, alice, { q: 'kraken' })).results;
    expect(hit && highlightsOf(hit)).toEqual(['kraken']);
    expect(hit?.snippet.length).toBeLessThan(300);
  });

  it('pages through more than a page of results with no duplicates and no gaps, ties broken by newest', async () => {
    // 57 matches: equal ranks and equal timestamps among them, so only the id orders some pairs.
    await t.database.db.execute(sql`
      insert into messages (room_id, seq, sender_user_id, body, created_at)
      select ${room.id}, 10000 + g, ${alice.id},
             case when g % 3 = 0 then 'zebra zebra crossing ' || g else 'a zebra number ' || g end,
             timestamptz '2026-01-01T00:00:00Z' + make_interval(secs => g % 7)
      from generate_series(1, 57) g`);
    const onePage = await search(t, alice, { q: 'zebra', limit: 100 });
    expect(onePage.results).toHaveLength(57);
    const { hits, pages } = await searchAll(t, alice, { q: 'zebra', limit: 10 });
    expect(pages).toBe(6);
    expect(hits.map((h) => h.message_id)).toEqual(onePage.results.map((h) => h.message_id));
    expect(new Set(hits.map((h) => h.message_id)).size).toBe(57);
    for (const [i, h] of hits.entries()) {
      const prev = hits[i - 1];
      if (!prev) continue;
      expect(prev.rank >= h.rank).toBe(true);
      if (prev.rank === h.rank) expect(prev.created_at >= h.created_at).toBe(true);
    }
    // A message written between two pages does not shift the pages still to come.
    const first = await search(t, alice, { q: 'zebra', limit: 10 });
    await post(alice, room.id, 'zebra zebra zebra late arrival');
    const rest = await searchAll(t, alice, { q: 'zebra', limit: 10, cursor: first.next_cursor ?? '' });
    expect(rest.pages).toBe(5);
    expect([...first.results, ...rest.hits].map((h) => h.message_id)).toEqual(onePage.results.map((h) => h.message_id));
  });

  it('filters by room and by time: from inclusive, to exclusive', async () => {
    const at = (iso: string, body: string) =>
      t.database.db.execute(sql`
        insert into messages (room_id, seq, body, created_at)
        values (${other.id}, (select coalesce(max(seq), 0) + 1 from messages where room_id = ${other.id}), ${body}, ${iso}::timestamptz)`);
    await at('2025-03-01T10:00:00Z', 'quokka in march');
    await at('2025-04-01T10:00:00Z', 'quokka in april');
    await at('2025-05-01T10:00:00Z', 'quokka in may');
    const bodies = async (query: Record<string, string>) =>
      (await search(t, alice, { q: 'quokka', ...query })).results.map((r) => r.snippet).sort();
    expect(await bodies({ from: '2025-04-01T10:00:00Z' })).toEqual(['quokka in april', 'quokka in may']);
    expect(await bodies({ to: '2025-04-01T10:00:00Z' })).toEqual(['quokka in march']);
    expect(await bodies({ from: '2025-03-15T00:00:00Z', to: '2025-04-15T00:00:00Z' })).toEqual(['quokka in april']);
    expect(await bodies({ from: String(Date.parse('2025-04-15T00:00:00Z') / 1000) })).toEqual(['quokka in may']);
    expect(await bodies({ room_id: room.id })).toEqual([]);
    expect(await bodies({ room_id: other.id })).toHaveLength(3);
    expect(await bodies({ room_id: other.slug })).toHaveLength(3);
  });

  it('still finds messages of an archived room, for those who may read it', async () => {
    const archived = await createRoom(t, alice, { name: 'Old' });
    await post(alice, archived.id, 'the platypus project is over');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rooms/${archived.id}/archive`,
      headers: alice.headers,
    });
    expect(res.statusCode).toBe(200);
    expect((await search(t, alice, { q: 'platypus' })).results.map((r) => r.room_id)).toEqual([archived.id]);
    expect((await search(t, alice, { q: 'platypus', room_id: archived.id })).results).toHaveLength(1);
  });

  it('answers a search that matches nothing with an empty page', async () => {
    expect(await search(t, alice, { q: 'xylophonist' })).toEqual({
      results: [],
      next_cursor: null,
      ranked_since: null,
    });
  });
});
