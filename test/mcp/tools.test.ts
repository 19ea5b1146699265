import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import {
  createAgentWithToken,
  createUser,
  exchange,
  signInAdmin,
  type AgentWithToken,
  type Person,
} from '../harness/identity.js';
import { closeAllMcp, connectMcp, type McpSession } from '../harness/mcp.js';
import { ingest, nowSeconds } from '../harness/metrics.js';
import { addMember, createRoom, history, type WireRoom } from '../harness/rooms.js';
import type { WireMessage } from '../harness/sockets.js';

interface McpMessage extends WireMessage {
  sender_name: string | null;
}
interface ToolAgent extends AgentWithToken {
  jwt: string;
}

const TOOLS = [
  'ack_inbox',
  'acknowledge_alert',
  'claim',
  'delete_wake_hook',
  'get_metrics',
  'get_wake_hook',
  'list_agents',
  'list_alerts',
  'list_claims',
  'list_rooms',
  'read_inbox',
  'read_messages',
  'release',
  'renew_claim',
  'search_messages',
  'send_direct_message',
  'send_message',
  'set_wake_hook',
  'wait_for_messages',
];

describe('the MCP tools', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  /** Owner of the main tenant: rooms general and ops, team T. */
  let owner: Person;
  /** A team-mate of owner's in team T, owning gamma. */
  let mate: Person;
  /** Another tenant altogether. */
  let stranger: Person;
  let general: WireRoom;
  let ops: WireRoom;
  let secret: WireRoom;
  let teamId: string;
  let alpha: ToolAgent; // owner's, team T, member of general and ops
  let beta: ToolAgent; // owner's, no team, member of general
  let gamma: ToolAgent; // mate's, team T
  let delta: ToolAgent; // stranger's, member of secret
  let retired: ToolAgent; // owner's, deactivated
  let mcp: McpSession; // as alpha

  async function agent(
    by: Person,
    name: string,
    options: { serverId?: string; teamId?: string; rooms?: string[] } = {},
  ): Promise<ToolAgent> {
    const created = await createAgentWithToken(t, admin, {
      owner: by,
      name,
      ...(options.serverId ? { serverId: options.serverId } : {}),
      ...(options.teamId ? { teamId: options.teamId } : {}),
    });
    for (const roomId of options.rooms ?? [])
      expect((await addMember(t, by, roomId, created.agent.id)).statusCode).toBe(201);
    return { ...created, jwt: await exchange(t, created.token) };
  }

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Owner', plan: 'enterprise' });
    mate = await createUser(t, admin, { name: 'Mate', plan: 'enterprise' });
    stranger = await createUser(t, admin, { name: 'Stranger', plan: 'enterprise' });
    const team = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: owner.headers,
      payload: { name: 'T' },
    });
    teamId = team.json<{ team: { id: string } }>().team.id;
    const join = await t.app.inject({
      method: 'POST',
      url: `/api/v1/teams/${teamId}/members`,
      headers: owner.headers,
      payload: { email: mate.email, role: 'member' },
    });
    expect(join.statusCode).toBe(201);
    general = await createRoom(t, owner, { slug: 'general', name: 'General' });
    ops = await createRoom(t, owner, { slug: 'ops', name: 'Ops' });
    secret = await createRoom(t, stranger, { slug: 'secret', name: 'Secret' });
    alpha = await agent(owner, 'alpha', { serverId: 'srv-alpha', teamId, rooms: [general.id, ops.id] });
    beta = await agent(owner, 'beta', { rooms: [general.id] });
    gamma = await agent(mate, 'gamma', { serverId: 'srv-gamma', teamId });
    delta = await agent(stranger, 'delta', { serverId: 'srv-delta', rooms: [secret.id] });
    retired = await agent(owner, 'retired');
    const off = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${retired.agent.id}/deactivate`,
      headers: owner.headers,
    });
    expect(off.statusCode).toBe(200);
    mcp = await connectMcp(t.url, alpha.jwt);
  });
  afterAll(async () => {
    await closeAllMcp();
    await t.close();
  });

  it('lists its tools, each with a description and a JSON Schema of its arguments', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(40);
      expect(tool.inputSchema.type, tool.name).toBe('object');
    }
    const send = tools.find((tool) => tool.name === 'send_message');
    expect(send?.inputSchema.required).toEqual(['room', 'body']);
    expect(Object.keys(send?.inputSchema.properties ?? {})).toEqual(['room', 'body', 'client_msg_id', 'reply_to_seq']);
    const wait = tools.find((tool) => tool.name === 'wait_for_messages');
    expect(wait?.inputSchema.properties?.['timeout_seconds']).toMatchObject({ maximum: 30 });
    expect(mcp.client.getInstructions()).toContain(alpha.agent.id);
  });

  it('lists the rooms the agent belongs to, with membership and last seq, and no room of another tenant', async () => {
    const { rooms } = await mcp.ok<{ rooms: { id: string; slug: string; is_member: boolean; last_seq: number }[] }>(
      'list_rooms',
    );
    expect(rooms.map((r) => r.slug)).toEqual(['general', 'ops']);
    expect(rooms.every((r) => r.is_member && r.last_seq === 0)).toBe(true);
    expect(rooms.map((r) => r.id)).not.toContain(secret.id);
  });

  it('sends a message that is stored and read back by room id or slug, and a retried client_msg_id posts it once', async () => {
    const first = await mcp.ok<{ message: McpMessage; duplicate: boolean }>('send_message', {
      room: 'ops',
      body: 'deploy done',
      client_msg_id: 'mcp-1',
    });
    expect(first).toMatchObject({
      duplicate: false,
      message: { seq: 1, body: 'deploy done', sender_id: alpha.agent.id, sender_type: 'agent', sender_name: 'alpha' },
    });
    const retry = await mcp.ok<{ message: McpMessage; duplicate: boolean }>('send_message', {
      room: ops.id,
      body: 'deploy done',
      client_msg_id: 'mcp-1',
    });
    expect(retry).toMatchObject({ duplicate: true, message: { id: first.message.id, seq: 1 } });
    // The REST history (another path to the same table) sees exactly one message.
    const stored = await history(t, owner, ops.id);
    expect(stored.messages.map((m) => [m.seq, m.body, m.sender_id])).toEqual([[1, 'deploy done', alpha.agent.id]]);
    const read = await mcp.ok<{ messages: McpMessage[] }>('read_messages', { room: ops.id });
    expect(read.messages.map((m) => m.id)).toEqual([first.message.id]);
  });

  it('reads forward from since_seq oldest first, and pages back newest first with the cursor', async () => {
    for (let i = 1; i <= 5; i++) await mcp.ok('send_message', { room: 'general', body: `m${i}` });
    const forward = await mcp.ok<{ messages: McpMessage[]; order: string; has_more: boolean }>('read_messages', {
      room: 'general',
      since_seq: 2,
      limit: 2,
    });
    expect(forward.order).toBe('oldest_first');
    expect(forward.messages.map((m) => m.body)).toEqual(['m3', 'm4']);
    expect(forward.has_more).toBe(true);
    const rest = await mcp.ok<{ messages: McpMessage[]; has_more: boolean }>('read_messages', {
      room: 'general',
      since_seq: 4,
    });
    expect(rest.messages.map((m) => m.body)).toEqual(['m5']);
    expect(rest.has_more).toBe(false);

    const newest = await mcp.ok<{ messages: McpMessage[]; order: string; next_cursor: number | null }>(
      'read_messages',
      { room: 'general', limit: 2 },
    );
    expect(newest.order).toBe('newest_first');
    expect(newest.messages.map((m) => m.body)).toEqual(['m5', 'm4']);
    const older = await mcp.ok<{ messages: McpMessage[]; next_cursor: number | null }>('read_messages', {
      room: 'general',
      cursor: newest.next_cursor,
      limit: 2,
    });
    expect(older.messages.map((m) => m.body)).toEqual(['m3', 'm2']);
    // A cursor as the REST API writes it (a string) is accepted too.
    const oldest = await mcp.ok<{ messages: McpMessage[]; next_cursor: number | null }>('read_messages', {
      room: 'general',
      cursor: String(older.next_cursor),
      limit: 2,
    });
    expect(oldest.messages.map((m) => m.body)).toEqual(['m1']);
    expect(oldest.next_cursor).toBeNull();
  });

  it('lists the agents of its owner and its team with their online status, and none of another tenant', async () => {
    await ingestSample(alpha, 'srv-alpha', nowSeconds() - 5, 50);
    const { agents } = await mcp.ok<{ agents: { name: string; online: boolean; is_you: boolean; status: string }[] }>(
      'list_agents',
    );
    expect(agents.map((a) => a.name).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(agents.find((a) => a.name === 'alpha')).toMatchObject({ online: true, is_you: true });
    expect(agents.find((a) => a.name === 'beta')).toMatchObject({ online: false, is_you: false });
    const all = await mcp.ok<{ agents: { name: string; status: string }[] }>('list_agents', { include_inactive: true });
    expect(all.agents.find((a) => a.name === 'retired')?.status).toBe('inactive');
    expect(all.agents.map((a) => a.name)).not.toContain('delta');

    // beta has no team: it sees its owner's agents, not the team-mate's.
    const asBeta = await connectMcp(t.url, beta.jwt);
    const seen = await asBeta.ok<{ agents: { name: string }[] }>('list_agents');
    expect(seen.agents.map((a) => a.name).sort()).toEqual(['alpha', 'beta']);
  });

  it('reads the latest snapshots and a bucketed series of an agent of its tenant', async () => {
    const now = nowSeconds();
    await ingestSample(gamma, 'srv-gamma', now - 600, 10);
    await ingestSample(gamma, 'srv-gamma', now - 300, 20);
    await ingestSample(gamma, 'srv-gamma', now - 60, 30);
    const latest = await mcp.ok<{ snapshots: { metrics: { cpu: { usage: number } }; agent_id: string }[] }>(
      'get_metrics',
      { server_id: 'srv-gamma', limit: 2 },
    );
    expect(latest.snapshots.map((s) => s.metrics.cpu.usage)).toEqual([30, 20]);
    expect(latest.snapshots[0]?.agent_id).toBe(gamma.agent.id);

    const series = await mcp.ok<{ points: { avg: number; min: number; max: number; count: number }[] }>('get_metrics', {
      server_id: 'srv-gamma',
      path: 'cpu.usage',
      from: '-1h',
      step: 3600,
    });
    expect(series.points.reduce((n, p) => n + p.count, 0)).toBe(3);
    expect(Math.min(...series.points.map((p) => p.min))).toBe(10);
    expect(Math.max(...series.points.map((p) => p.max))).toBe(30);
  });

  it("refuses another tenant's metrics as a tool error that says not found", async () => {
    await ingestSample(delta, 'srv-delta', nowSeconds() - 30, 99);
    expect(await mcp.fails('get_metrics', { server_id: 'srv-delta' })).toMatch(/not_found/);
    expect(await mcp.fails('get_metrics', { server_id: 'srv-delta', path: 'cpu.usage' })).toMatch(/not_found/);
  });

  it('answers bad arguments with tool errors that name the problem, never a protocol failure', async () => {
    expect(await mcp.fails('read_messages', { room: 'general', limit: 1000 })).toMatch(/limit/);
    expect(await mcp.fails('read_messages', {})).toMatch(/room/);
    expect(await mcp.fails('read_messages', { room: 'general', since_seq: 1, cursor: 3 })).toMatch(/not both/);
    expect(await mcp.fails('send_message', { room: 'general', body: '' })).toMatch(/body/);
    expect(
      await mcp.fails('send_message', { room: 'general', body: 'x'.repeat(t.config.MESSAGE_MAX_BYTES + 1) }),
    ).toMatch(/payload_too_large/);
    expect(await mcp.fails('wait_for_messages', { room: 'general', since_seq: 0, timeout_seconds: 31 })).toMatch(
      /timeout_seconds/,
    );
    expect(await mcp.fails('get_metrics', { server_id: 'srv-gamma', from: 'yesterday' })).toMatch(/from/);
    expect(await mcp.fails('get_metrics', { server_id: 'srv-gamma', path: 'cpu usage' })).toMatch(/path/);
    expect(
      await mcp.fails('get_metrics', { server_id: 'srv-gamma', path: 'cpu.usage', from: '-1h', to: '-2h' }),
    ).toMatch(/before/);
    expect(await mcp.fails('no_such_tool')).toMatch(/not found/);
    // The session still works after all of that.
    expect((await mcp.ok<{ rooms: unknown[] }>('list_rooms')).rooms).toHaveLength(2);
  });

  it('works the same with the agt_ API token as with the access JWT', async () => {
    const viaToken = await connectMcp(t.url, alpha.token);
    const sent = await viaToken.ok<{ message: McpMessage }>('send_message', { room: 'general', body: 'via api token' });
    expect(sent.message).toMatchObject({ sender_id: alpha.agent.id, sender_name: 'alpha' });
    const { rooms } = await viaToken.ok<{ rooms: { slug: string }[] }>('list_rooms');
    expect(rooms.map((r) => r.slug)).toEqual(['general', 'ops']);
  });

  it('answers a wait on an archived room at once instead of waiting for messages that cannot come', async () => {
    const old = await createRoom(t, owner, { slug: 'old', name: 'Old' });
    expect((await addMember(t, owner, old.id, alpha.agent.id)).statusCode).toBe(201);
    await mcp.ok('send_message', { room: 'old', body: 'last words' });
    const archive = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rooms/${old.id}/archive`,
      headers: owner.headers,
    });
    expect(archive.statusCode).toBe(200);
    expect(await mcp.fails('send_message', { room: 'old', body: 'too late' })).toMatch(/room_archived/);
    const caughtUp = await mcp.ok<{ archived: boolean; timed_out: boolean; messages: unknown[] }>('wait_for_messages', {
      room: 'old',
      since_seq: 1,
      timeout_seconds: 30,
    });
    expect(caughtUp).toMatchObject({ archived: true, timed_out: false, messages: [] });
    const behind = await mcp.ok<{ archived: boolean; messages: { body: string }[] }>('wait_for_messages', {
      room: 'old',
      since_seq: 0,
    });
    expect(behind.messages.map((m) => m.body)).toEqual(['last words']);
  });

  async function ingestSample(who: ToolAgent, serverId: string, timestamp: number, usage: number) {
    const res = await ingest(t, who.jwt, { server_id: serverId, timestamp, metrics: { cpu: { usage } } });
    expect(res.statusCode, res.body).toBe(200);
  }
});
