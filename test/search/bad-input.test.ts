import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { search, searchRequest } from '../harness/search.js';

describe('search refuses bad input with a clear 400', () => {
  let t: TestApp;
  let alice: Person;
  let room: WireRoom;
  let agent: RoomAgent;

  beforeAll(async () => {
    t = await createTestApp();
    const admin = await signInAdmin(t);
    alice = await createUser(t, admin);
    room = await createRoom(t, alice);
    agent = await createRoomAgent(t, admin, { owner: alice, rooms: [room.id] });
    for (let i = 0; i < 5; i++) await postMessage(t, alice, room.id, `the deploy ${i} ran fine`);
  });
  afterAll(() => t.close());

  const cursorOf = async (query: Record<string, string | number>) => {
    const page = await search(t, alice, { limit: 2, ...query });
    if (!page.next_cursor) throw new Error('expected a next page');
    return page.next_cursor;
  };

  it.each([
    ['no q at all', 'query_empty', {}],
    ['an empty q', 'query_empty', { q: '' }],
    ['a q of spaces', 'query_empty', { q: '   ' }],
    ['only stop words', 'query_without_terms', { q: 'the and of' }],
    ['only punctuation', 'query_without_terms', { q: '!!! ??? ...' }],
    ['only operators', 'query_without_terms', { q: ':* & | <->' }],
    ['backslashes', 'query_without_terms', { q: '\\\\\\' }],
    ['only exclusions', 'query_only_excludes', { q: '-deploy -fine' }],
    ['a NUL byte', 'invalid_query', { q: 'deploy\u0000' }],
    ['501 characters', 'query_too_long', { q: 'a'.repeat(501) }],
    ['10 KB', 'query_too_long', { q: 'deploy '.repeat(1500) }],
    ['from after to', 'invalid_time_range', { q: 'deploy', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }],
    [
      'from equal to to',
      'invalid_time_range',
      { q: 'deploy', from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
    ],
    ['an invalid date', 'invalid_request', { q: 'deploy', from: 'yesterday' }],
    ['an impossible date', 'invalid_request', { q: 'deploy', to: '2026-13-45' }],
    ['limit 0', 'invalid_request', { q: 'deploy', limit: 0 }],
    ['limit 101', 'invalid_request', { q: 'deploy', limit: 101 }],
    ['limit not a number', 'invalid_request', { q: 'deploy', limit: 'ten' }],
    ['a cursor that is not base64url', 'invalid_cursor', { q: 'deploy', cursor: '!!not a cursor!!' }],
    ['a cursor of random base64url', 'invalid_cursor', { q: 'deploy', cursor: 'eyJhIjoxfQ' }],
  ] as [string, string, Record<string, string | number>][])('%s → 400 %s', async (_label, code, query) => {
    const res = await searchRequest(t, alice, query);
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; message: string }>();
    expect(body.error).toBe(code);
    expect(body.message).not.toMatch(/select|tsquery|syntax error at|stack/i);
  });

  it('refuses a cursor changed by one character, and one given to another search', async () => {
    const cursor = await cursorOf({ q: 'deploy' });
    for (let i = 0; i < cursor.length; i += 7) {
      const flipped = cursor.slice(0, i) + (cursor[i] === 'A' ? 'B' : 'A') + cursor.slice(i + 1);
      const res = await searchRequest(t, alice, { q: 'deploy', limit: 2, cursor: flipped });
      expect(res.statusCode, `flipped at ${i}`).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_cursor' });
    }
    const other = await searchRequest(t, alice, { q: 'fine', limit: 2, cursor });
    expect(other.statusCode).toBe(400);
    expect(other.json()).toMatchObject({ error: 'invalid_cursor', details: [{ path: 'querystring.cursor' }] });
    expect((await searchRequest(t, alice, { q: 'deploy', limit: 2, cursor })).statusCode).toBe(200);
  });

  it('reads odd tsquery syntax as words, never as an error', async () => {
    for (const q of [
      '"unclosed deploy',
      'deploy & | fine',
      'deploy:*',
      "deploy'",
      '(deploy',
      'deploy <-> fine',
      'deploy OR',
      'or deploy',
      '\\deploy\\',
      'deploy -',
      '"" deploy ""',
      'dép‍loy 🚀 deploy',
      'deploy\u0001\u001f',
    ]) {
      const res = await searchRequest(t, agent, { q });
      expect([200, 400], q).toContain(res.statusCode);
      const body = res.json<{ results?: unknown[]; error?: string }>();
      if (res.statusCode === 200) expect(Array.isArray(body.results), q).toBe(true);
      else expect(body.error, q).toMatch(/^query_/);
    }
  });

  it('takes a query of exactly 500 characters', async () => {
    const q = `deploy ${'x'.repeat(493)}`;
    expect(q).toHaveLength(500);
    expect((await searchRequest(t, alice, { q })).statusCode).toBe(200);
  });

  it('ignores unknown query parameters, as every list route of the API does', async () => {
    const res = await searchRequest(t, alice, { q: 'deploy', sort: 'oldest' });
    expect(res.statusCode).toBe(200);
  });
});
