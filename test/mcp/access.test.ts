import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { bearer, createUser, signInAdmin, type Person } from '../harness/identity.js';
import { closeAllMcp, connectMcp, INITIALIZE, mcpUrl, postMcp, type McpSession } from '../harness/mcp.js';
import { createRoom, createRoomAgent, type RoomAgent, type WireRoom } from '../harness/rooms.js';

const LIST_TOOLS = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
const RATE_LIMIT = 40;

describe('who may use the MCP endpoint, and for what', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let stranger: Person;
  let general: WireRoom;
  let secret: WireRoom;
  let member: RoomAgent;
  /** The owner's agent, not a member of general. */
  let outsider: RoomAgent;
  /** The owner's admin agent, not a member of general either. */
  let supervisor: RoomAgent;

  beforeAll(async () => {
    t = await startTestServer({ config: { RATE_LIMIT_AUTHENTICATED: RATE_LIMIT } });
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Owner', plan: 'enterprise' });
    stranger = await createUser(t, admin, { name: 'Stranger', plan: 'enterprise' });
    general = await createRoom(t, owner, { slug: 'general', name: 'General' });
    secret = await createRoom(t, stranger, { slug: 'secret', name: 'Secret' });
    member = await createRoomAgent(t, admin, { owner, rooms: [general.id], name: 'member' });
    outsider = await createRoomAgent(t, admin, { owner, name: 'outsider' });
    supervisor = await createRoomAgent(t, admin, { owner, role: 'admin', name: 'supervisor' });
    await createRoomAgent(t, admin, { owner: stranger, rooms: [secret.id], name: 'spy' });
  });
  afterAll(async () => {
    await closeAllMcp();
    await t.close();
  });

  it('answers 401 in the API error envelope without a token, with a bad token, and to a signed-in person', async () => {
    const cases: Record<string, Record<string, string>> = {
      'no token': {},
      'a malformed JWT': bearer('not-a-jwt'),
      'an unknown API token': bearer('agt_abcdef_' + 'x'.repeat(40)),
      "a person's session cookie": owner.headers,
    };
    for (const [label, headers] of Object.entries(cases)) {
      const res = await postMcp(t.url, INITIALIZE, headers);
      expect(res.status, label).toBe(401);
      expect(await res.json(), label).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
  });

  it('refuses the SDK client a connection with a bad token', async () => {
    await expect(connectMcp(t.url, 'agt_abcdef_' + 'y'.repeat(40))).rejects.toMatchObject({
      code: 401,
      message: expect.stringMatching(/unauthorized/),
    });
  });

  it('answers GET and DELETE with 405 (stateless: no stream, no session), and 401 without a token', async () => {
    for (const method of ['GET', 'DELETE']) {
      const anonymous = await fetch(mcpUrl(t.url), { method, headers: { accept: 'text/event-stream' } });
      expect(anonymous.status, method).toBe(401);
      const res = await fetch(mcpUrl(t.url), {
        method,
        headers: { accept: 'text/event-stream', ...bearer(member.jwt) },
      });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
    }
  });

  it('answers malformed requests with 4xx JSON-RPC or API errors, never a 500', async () => {
    const auth = bearer(member.jwt);
    const notJsonRpc = await postMcp(t.url, { hello: 'world' }, auth);
    expect(notJsonRpc.status).toBe(400);
    expect(await notJsonRpc.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
    const noAccept = await postMcp(t.url, LIST_TOOLS, { ...auth, accept: 'application/json' });
    expect(noAccept.status).toBe(406);
    const text = await fetch(mcpUrl(t.url), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(LIST_TOOLS),
    });
    expect(text.status).toBe(415);
    const broken = await fetch(mcpUrl(t.url), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":',
    });
    expect(broken.status).toBe(400);
  });

  it('keeps the request id and security headers on the responses the transport writes', async () => {
    const res = await postMcp(t.url, INITIALIZE, { ...bearer(member.jwt), 'x-request-id': 'mcp-trace-1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('mcp-trace-1');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-ratelimit-limit')).toBe(String(RATE_LIMIT));
    await res.body?.cancel();
  });

  it("refuses another tenant's room as not found in every room tool, by id and by slug", async () => {
    const mcp = await connectMcp(t.url, member.jwt);
    for (const room of [secret.id, 'secret']) {
      expect(await mcp.fails('read_messages', { room })).toMatch(/Room not found/);
      expect(await mcp.fails('send_message', { room, body: 'let me in' })).toMatch(/Room not found/);
      expect(await mcp.fails('wait_for_messages', { room, since_seq: 0, timeout_seconds: 1 })).toMatch(
        /Room not found/,
      );
    }
    const { rooms } = await mcp.ok<{ rooms: { id: string }[] }>('list_rooms');
    expect(rooms.map((r) => r.id)).toEqual([general.id]);
  });

  it('refuses an agent of the same owner that is not a member of the room', async () => {
    const mcp = await connectMcp(t.url, outsider.jwt);
    expect(await mcp.fails('read_messages', { room: 'general' })).toMatch(/Room not found/);
    expect(await mcp.fails('send_message', { room: general.id, body: 'hi' })).toMatch(/Room not found/);
    expect(await mcp.fails('wait_for_messages', { room: general.id, since_seq: 0, timeout_seconds: 1 })).toMatch(
      /Room not found/,
    );
    expect((await mcp.ok<{ rooms: unknown[] }>('list_rooms')).rooms).toEqual([]);
  });

  it('lets an admin agent read the rooms of its owner but post only where it is a member', async () => {
    const mcp = await connectMcp(t.url, supervisor.jwt);
    const { rooms } = await mcp.ok<{ rooms: { slug: string; is_member: boolean }[] }>('list_rooms');
    expect(rooms).toEqual([expect.objectContaining({ slug: 'general', is_member: false })]);
    await mcp.ok('read_messages', { room: 'general' });
    expect(await mcp.fails('send_message', { room: 'general', body: 'hi' })).toMatch(/Only members/);
  });

  it('stops answering an agent once its owner deactivates it', async () => {
    const doomed = await createRoomAgent(t, admin, { owner, rooms: [general.id] });
    const mcp: McpSession = await connectMcp(t.url, doomed.jwt);
    await mcp.ok('list_rooms');
    const off = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${doomed.agent.id}/deactivate`,
      headers: owner.headers,
    });
    expect(off.statusCode).toBe(200);
    await expect(mcp.call('list_rooms')).rejects.toMatchObject({ code: 401 });
    expect((await postMcp(t.url, LIST_TOOLS, bearer(doomed.token))).status).toBe(401);
  });

  it('counts MCP requests against the per-credential rate limit', async () => {
    const busy = await createRoomAgent(t, admin, { owner });
    const statuses: number[] = [];
    for (let i = 0; i <= RATE_LIMIT; i++) {
      const res = await postMcp(t.url, LIST_TOOLS, bearer(busy.jwt));
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses.slice(0, RATE_LIMIT).every((s) => s === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});
