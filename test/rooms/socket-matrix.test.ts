import { apiDocTableRows } from '../harness/markdown-tables.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_EVENTS, type ClientEvent } from '../../src/realtime/socket-events.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { accessTokenFor, createRoom, createRoomAgent, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, refusal, roundTrip, until, type AgentClient } from '../harness/sockets.js';

/**
 * The socket.io isolation matrix: every client event of /agents (CLIENT_EVENTS,
 * from which the server's event map derives) sent about the owner's team room
 * by each caller. `member` belongs to the room; `sameOwnerAgent` (same owner
 * and team), `teamAgent` (a team mate's agent), `adminAgent` (role admin, same
 * owner and team) and `foreignAgent` (another tenant) do not; `revokedAgent`
 * was a member until its API token was revoked; `anon` has no token. docs/API.md
 * carries the same table.
 */
const CALLERS = [
  'member',
  'sameOwnerAgent',
  'teamAgent',
  'adminAgent',
  'foreignAgent',
  'revokedAgent',
  'anon',
] as const;
type Caller = (typeof CALLERS)[number];
const COLUMN_TITLES: Record<Caller, string> = {
  member: 'member agent',
  sameOwnerAgent: 'same-owner agent',
  teamAgent: 'team agent',
  adminAgent: 'admin agent',
  foreignAgent: 'other-tenant agent',
  revokedAgent: 'revoked agent',
  anon: 'anon',
};
/** `ok` / the ack's `error` / `refused`: the handshake fails with `connect_error` (data.code `unauthorized`). */
const MATRIX: Record<ClientEvent, string> = {
  'room:join': 'ok forbidden forbidden forbidden forbidden refused refused',
  'room:leave': 'ok ok ok ok ok refused refused',
  'message:send': 'ok forbidden forbidden forbidden forbidden refused refused',
  'dm:send': 'ok ok ok ok not_found refused refused',
  'inbox:ack': 'ok ok ok ok ok refused refused',
  'auth:refresh': 'ok ok ok ok ok refused refused',
  claim: 'ok forbidden forbidden forbidden forbidden refused refused',
  'claim:renew': 'ok forbidden forbidden forbidden forbidden refused refused',
  'claim:release': 'ok forbidden forbidden forbidden forbidden refused refused',
  'claims:list': 'ok forbidden forbidden forbidden forbidden refused refused',
};
const CONNECTED = ['member', 'sameOwnerAgent', 'teamAgent', 'adminAgent', 'foreignAgent'] as const;
const OUTSIDERS = CONNECTED.filter((c) => c !== 'member');

describe('the socket.io isolation matrix', () => {
  let t: TestApp & { url: string };
  let room: WireRoom;
  let agents: Record<Exclude<Caller, 'anon'>, RoomAgent>;
  let witness: AgentClient;
  let witnessAgent: RoomAgent;
  const clients = {} as Record<(typeof CONNECTED)[number], AgentClient>;
  let revokedLive: { errors: string[]; reason: string };
  /** A claim of the member's in the room, for the renew and release probes. */
  let memberClaimId: string;

  /** A well-formed payload per event, naming `roomId` where the event is about a room. */
  const PROBES: Record<ClientEvent, (agent: RoomAgent, roomId: string) => unknown> = {
    'room:join': (_agent, roomId) => ({ room_id: roomId, since_seq: 0 }),
    'room:leave': (_agent, roomId) => ({ room_id: roomId }),
    'message:send': (_agent, roomId) => ({ room_id: roomId, body: 'from the matrix' }),
    // To the witness, an agent of the owner in the team: its tenant may write to it, another tenant may not.
    'dm:send': () => ({ agent_id: witnessAgent.agent.id, body: 'a direct word from the matrix' }),
    'inbox:ack': () => ({ message_ids: [randomUUID()] }),
    'auth:refresh': (agent) => ({ token: accessTokenFor(t, agent) }),
    claim: (agent, roomId) => ({ room_id: roomId, resource: `task:matrix-${agent.agent.id}`, ttl_seconds: 60 }),
    'claim:renew': (_agent, roomId) => ({ room_id: roomId, claim_id: memberClaimId, ttl_seconds: 60 }),
    'claim:release': (_agent, roomId) => ({ room_id: roomId, claim_id: memberClaimId }),
    'claims:list': (_agent, roomId) => ({ room_id: roomId }),
  };

  beforeAll(async () => {
    t = await startTestServer();
    const admin = await signInAdmin(t);
    const owner = await createUser(t, admin, { name: 'Owner' });
    const mate = await createUser(t, admin, { name: 'Mate' });
    const other = await createUser(t, admin, { name: 'Other' });
    const team = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: owner.headers,
      payload: { name: 'Sockets' },
    });
    const teamId = team.json<{ team: { id: string } }>().team.id;
    const joined = await t.app.inject({
      method: 'POST',
      url: `/api/v1/teams/${teamId}/members`,
      headers: owner.headers,
      payload: { email: mate.email, role: 'member' },
    });
    expect(joined.statusCode).toBe(201);
    room = await createRoom(t, owner, { team_id: teamId });
    const agent = (of: Person, options: { rooms?: string[]; role?: 'admin' } = {}) =>
      createRoomAgent(t, admin, { owner: of, ...(of === other ? {} : { teamId }), ...options });
    agents = {
      member: await agent(owner, { rooms: [room.id] }),
      sameOwnerAgent: await agent(owner),
      teamAgent: await agent(mate),
      adminAgent: await agent(owner, { role: 'admin' }),
      foreignAgent: await agent(other),
      revokedAgent: await agent(owner, { rooms: [room.id] }),
    };
    witnessAgent = await agent(owner, { rooms: [room.id] });
    witness = await connectAgent(t.url, witnessAgent.jwt);
    const claimed = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rooms/${room.id}/claims`,
      headers: { authorization: `Bearer ${agents.member.jwt}` },
      payload: { resource: 'task:held-by-the-member', ttl_seconds: 600 },
    });
    expect(claimed.statusCode).toBe(201);
    memberClaimId = claimed.json<{ claim: { id: string } }>().claim.id;
    for (const caller of CONNECTED) clients[caller] = await connectAgent(t.url, agents[caller].jwt);

    // The revoked agent was connected, and a member, when its API token was revoked.
    const live = await connectAgent(t.url, agents.revokedAgent.jwt);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${agents.revokedAgent.prefix}`,
      headers: owner.headers,
    });
    expect(revoke.statusCode).toBe(204);
    revokedLive = { reason: await live.disconnected, errors: live.errors.map((e) => e.error) };
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  async function answer(caller: Caller, event: ClientEvent, roomId: string): Promise<string> {
    if (caller === 'anon' || caller === 'revokedAgent') {
      const refused = await refusal(t.url, caller === 'anon' ? undefined : agents[caller].jwt);
      return refused.data?.code === 'unauthorized' ? 'refused' : `refused (${refused.data?.code ?? '?'})`;
    }
    const reply = await clients[caller].ask(event, PROBES[event](agents[caller], roomId));
    return reply.ok ? 'ok' : reply.error;
  }

  it('has a row for every client event the server declares', () => {
    expect(Object.keys(MATRIX).sort()).toEqual([...CLIENT_EVENTS].sort());
    for (const row of Object.values(MATRIX)) expect(row.split(' ')).toHaveLength(CALLERS.length);
  });

  it.each(CLIENT_EVENTS)('answers %s with the documented ack for every caller', async (event) => {
    const actual = {} as Record<Caller, string>;
    for (const caller of CALLERS) actual[caller] = await answer(caller, event, room.id);
    const documented = MATRIX[event].split(' ');
    expect(actual).toEqual(Object.fromEntries(CALLERS.map((caller, i) => [caller, documented[i]])));
  });

  it('answers outsiders about the room exactly as about a room that does not exist', async () => {
    const unknown = randomUUID();
    const aboutARoom = CLIENT_EVENTS.filter((event) => 'room_id' in (PROBES[event](agents.member, '') as object));
    expect(aboutARoom).toEqual(expect.arrayContaining(['room:join', 'message:send', 'claim', 'claims:list']));
    for (const caller of OUTSIDERS)
      for (const event of aboutARoom) {
        const client = clients[caller];
        const about = async (roomId: string) => client.ask(event, PROBES[event](agents[caller], roomId));
        expect(await about(room.id), `${caller} ${event}`).toEqual(await about(unknown));
      }
  });

  it("never sends an outsider the room's messages or presence, before or after its refused joins", async () => {
    for (const caller of OUTSIDERS) {
      expect(clients[caller].hello.rooms).toEqual([]);
      await clients[caller].ask('room:join', { room_id: room.id, since_seq: 0 });
      await clients[caller].send(room.id, 'let me in');
    }
    const member = clients.member;
    const seen = witness.presence.length;
    await member.ask('room:leave', { room_id: room.id });
    expect(await member.ask('room:join', { room_id: room.id })).toMatchObject({ ok: true });
    const sent = await member.send(room.id, 'members only');
    expect(sent).toMatchObject({ ok: true });
    // The witness saw the broadcasts, so they were made; a round trip then flushes anything queued for the outsiders.
    const memberId = agents.member.agent.id;
    await until('the message at the witness', () => witness.received.some((m) => m.body === 'members only'));
    await until('the join at the witness', () =>
      witness.presence.slice(seen).some((p) => p.joined.some((a) => a.agent_id === memberId)),
    );
    for (const caller of OUTSIDERS) {
      await roundTrip(clients[caller]);
      // Their own direct messages (dm:send above) come back to them; nothing of the room does.
      expect(
        clients[caller].received.filter((m) => m.room_id === room.id),
        caller,
      ).toEqual([]);
      expect(
        clients[caller].presence.filter((p) => p.room_id === room.id),
        caller,
      ).toEqual([]);
    }
  });

  it("refuses an auth:refresh with the member's token: a socket cannot become another agent", async () => {
    for (const caller of OUTSIDERS) {
      const client = clients[caller];
      const refresh = await client.ask('auth:refresh', { token: accessTokenFor(t, agents.member) });
      expect(refresh, caller).toMatchObject({ ok: false, error: 'unauthorized' });
      expect(await client.ask('room:join', { room_id: room.id }), caller).toMatchObject({ error: 'forbidden' });
    }
  });

  it('told the revoked agent why and dropped its live socket', () => {
    expect(revokedLive.errors).toContain('revoked');
    expect(revokedLive.reason).toBe('io server disconnect');
  });

  it('is written down, cell for cell, in docs/API.md', () => {
    const rows = apiDocTableRows('## socket.io namespace `/agents`') ?? [];
    const header = rows.findIndex((cells) => cells[0] === 'event');
    expect(rows[header], 'the isolation table header').toEqual(['event', ...CALLERS.map((c) => COLUMN_TITLES[c])]);
    const documented = Object.fromEntries(
      rows
        .slice(header + 2)
        .flatMap((cells) => (cells.length === CALLERS.length + 1 ? [[cells[0], cells.slice(1).join(' ')]] : [])),
    );
    expect(documented).toEqual(MATRIX);
  });
});
