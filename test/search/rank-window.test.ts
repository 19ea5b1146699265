import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { searchKey } from '../../src/modules/search/search.cursor.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, postMessage, type WireRoom } from '../harness/rooms.js';
import { search, searchAll } from '../harness/search.js';

const WINDOW = 50;
const STRONG = 'deploy deploy deploy, the deploy is done';

describe('searching more matches than the rank window', () => {
  let t: TestApp;
  let admin: Person;
  let alice: Person;
  let aliceRoom: WireRoom;
  let bobRoom: WireRoom;
  let strongOld: string;
  let strongNew: string;

  /** The newest WINDOW matches of `deploy` over every room, as the database orders them: the expected window. */
  async function newestMatches(): Promise<{ id: string; created_at: string }[]> {
    return queryRows(
      t.database.db,
      sql`select id::text, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at
          from messages where search_vector @@ websearch_to_tsquery('english', 'deploy')
          order by created_at desc, id desc limit ${WINDOW}::int`,
    );
  }

  beforeAll(async () => {
    t = await createTestApp({ config: { SEARCH_RANK_WINDOW: WINDOW } });
    admin = await signInAdmin(t);
    alice = await createUser(t, admin, { name: 'Alice' });
    const bob = await createUser(t, admin, { name: 'Bob' });
    aliceRoom = await createRoom(t, alice, { name: 'Ops' });
    bobRoom = await createRoom(t, bob, { name: 'Builds' });
    // 300 messages over two tenants' rooms, three to a timestamp (only the id orders those); 3 in 4 say `deploy`.
    // The best match (STRONG) is written twice: once recently, inside the window (the newest 50 matches: about the
    // last 67 messages), and once just older than the window.
    await t.database.db.execute(sql`
      insert into messages (room_id, seq, body, created_at)
      select case when g % 2 = 0 then ${aliceRoom.id}::uuid else ${bobRoom.id}::uuid end, g,
             case when g in (200, 280) then ${STRONG}::text
                  when g % 4 = 0 then 'nothing to see ' || g
                  else 'deploy number ' || g end,
             timestamptz '2026-01-01T00:00:00Z' + make_interval(mins => g / 3)
      from generate_series(1, 300) g`);
    await t.database.db.execute(
      sql`update rooms set last_seq = 300 where id in (${aliceRoom.id}::uuid, ${bobRoom.id}::uuid)`,
    );
    const [oldRow, newRow] = await queryRows<{ id: string }>(
      t.database.db,
      sql`select id::text from messages where body = ${STRONG}::text order by created_at`,
    );
    strongOld = oldRow!.id;
    strongNew = newRow!.id;
  });
  afterAll(() => t.close());

  it('ranks only the newest matches for a server admin: the best of them first, an older better one left out', async () => {
    const window = await newestMatches();
    const page = await search(t, admin, { q: 'deploy', limit: 5 });
    expect(page.results[0]?.message_id).toBe(strongNew);
    expect(page.results.map((r) => r.message_id)).not.toContain(strongOld);
    const inWindow = new Set(window.map((m) => m.id));
    for (const hit of page.results) expect(inWindow.has(hit.message_id)).toBe(true);
    // The millisecond after the oldest message ranked.
    expect(page.ranked_since).toBe(new Date(Date.parse(window.at(-1)!.created_at) + 1).toISOString());
  });

  it('pages through exactly the window, with no repeats and no skips, even when matches arrive between pages', async () => {
    const window = await newestMatches();
    const { hits } = await searchAll(t, admin, { q: 'deploy', limit: 7 });
    expect(hits).toHaveLength(WINDOW);
    expect(new Set(hits.map((h) => h.message_id))).toEqual(new Set(window.map((m) => m.id)));
    for (const [i, h] of hits.entries()) if (i > 0) expect(hits[i - 1]!.rank >= h.rank).toBe(true);

    const first = await search(t, admin, { q: 'deploy', limit: 7 });
    for (let i = 0; i < 5; i++) expect((await postMessage(t, alice, aliceRoom.id, STRONG)).statusCode).toBe(201);
    const rest = await searchAll(t, admin, { q: 'deploy', limit: 7, cursor: first.next_cursor ?? '' });
    // The new matches rank above the cursor: the pages still to come are those of the window the first page ranked.
    expect([...first.results, ...rest.hits].map((h) => h.message_id)).toEqual(hits.map((h) => h.message_id));
  });

  it('reaches the older matches with to set to ranked_since', async () => {
    const newest = await search(t, admin, { q: 'deploy', limit: 5 });
    expect(newest.ranked_since).not.toBeNull();
    const older = await search(t, admin, { q: 'deploy', to: newest.ranked_since ?? '', limit: 5 });
    expect(older.results[0]?.message_id).toBe(strongOld);
    for (const hit of older.results) expect(hit.created_at < (newest.ranked_since ?? '')).toBe(true);
    expect(older.ranked_since).not.toBeNull();
    expect(Date.parse(older.ranked_since ?? '')).toBeLessThan(Date.parse(newest.ranked_since ?? ''));
  });

  it('bounds a person the same way once their rooms hold more matches than the window', async () => {
    const page = await search(t, alice, { q: 'deploy', limit: 100 });
    expect(page.results).toHaveLength(WINDOW);
    expect(page.ranked_since).not.toBeNull();
    expect(page.results.every((r) => r.room_id === aliceRoom.id)).toBe(true);
  });

  it('ranks every match, with ranked_since null, when there are fewer than the window', async () => {
    const page = await search(t, admin, { q: 'number', limit: 100 });
    expect(page.results.length).toBeGreaterThan(0);
    const few = await search(t, admin, { q: 'done', limit: 100 });
    expect(few.results.map((r) => r.message_id)).toContain(strongOld);
    expect(few.ranked_since).toBeNull();
  });

  it('still accepts a cursor given before the window (version 1): the newest window is ranked again', async () => {
    const page = await search(t, admin, { q: 'deploy', limit: 5 });
    const last = page.results.at(-1)!;
    const [exact] = await queryRows<{ at: string; rank: string }>(
      t.database.db,
      sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at,
                 ts_rank_cd(search_vector, websearch_to_tsquery('english', 'deploy'))::text as rank
          from messages where id = ${last.message_id}::uuid`,
    );
    const body = JSON.stringify([1, exact!.rank, exact!.at, last.message_id, searchKey({ q: 'deploy' })]);
    const checksum = createHash('sha256').update(body).digest('base64url').slice(0, 8);
    const cursor = Buffer.from(JSON.stringify([body, checksum])).toString('base64url');
    const next = await search(t, admin, { q: 'deploy', limit: 5, cursor });
    expect(next.results).toHaveLength(5);
    const second = await search(t, admin, { q: 'deploy', limit: 5, cursor: page.next_cursor ?? '' });
    expect(next.results.map((r) => r.message_id)).toEqual(second.results.map((r) => r.message_id));
  });
});
