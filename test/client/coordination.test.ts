import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentHubClient,
  AgentHubError,
  ClaimConflictError,
  type ClaimEvent,
  type RealtimeClient,
} from '../../src/client/index.js';
import { queryRows } from '../../src/db/client.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { storedClaims } from '../harness/claims.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { waitFor } from '../harness/sdk.js';

/** The SDK's coordination methods (docs/COORDINATION.md) against a listening server, over REST and socket.io. */
describe('SDK coordination: direct messages, the inbox, search, claims and wake hooks', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let room: WireRoom;
  let alice: RoomAgent;
  let bob: RoomAgent;
  let stranger: RoomAgent;
  const sdk = (agent: RoomAgent) =>
    new AgentHubClient({ server: t.url, credentials: { kind: 'api-token', apiToken: agent.token } });
  let asAlice: AgentHubClient;
  let asBob: AgentHubClient;
  let asStranger: AgentHubClient;
  const realtimes: RealtimeClient[] = [];

  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('expected a refusal'),
      (error: unknown) => error,
    );
  const directRooms = async () =>
    (await queryRows<{ n: number }>(t.database.db, sql`select count(*)::int as n from rooms where kind = 'direct'`))[0]
      ?.n;

  beforeAll(async () => {
    t = await startTestServer({ config: { WAKE_HOOK_ALLOW_PRIVATE: true } });
    admin = await signInAdmin(t);
    room = await createRoom(t, admin, { slug: 'coord-sdk' });
    alice = await createRoomAgent(t, admin, { rooms: [room.id], name: 'alice' });
    bob = await createRoomAgent(t, admin, { rooms: [room.id], name: 'bob' });
    const other = await createUser(t, admin, { plan: 'enterprise' });
    stranger = await createRoomAgent(t, admin, { owner: other, name: 'stranger' });
    [asAlice, asBob, asStranger] = [sdk(alice), sdk(bob), sdk(stranger)];
  });
  afterAll(async () => {
    for (const realtime of realtimes) realtime.close();
    await t.close();
  });

  it('sends a direct message that waits in the recipient inbox until it acknowledges it', async () => {
    const sent = await asAlice.sendDirect(bob.agent.id, 'can you review the migration?');
    expect(sent.room).toMatchObject({ kind: 'direct' });
    expect(sent.message).toMatchObject({ body: 'can you review the migration?', sender_id: alice.agent.id });

    const page = await asBob.inbox();
    expect(page.pending).toBe(1);
    expect(page.items).toEqual([
      expect.objectContaining({ reason: 'direct', message: expect.objectContaining({ id: sent.message.id }) }),
    ]);
    const notMine = randomUUID();
    expect(await asBob.ackInbox([sent.message.id, notMine])).toEqual({
      acknowledged: [sent.message.id],
      unknown: [notMine],
    });
    expect(await asBob.inbox()).toEqual({ items: [], next_cursor: null, pending: 0 });
  });

  it('replies in a thread with replyToSeq, in a room and in a direct conversation', async () => {
    const { message: parent } = await asAlice.postMessage(room.id, 'who takes the release notes?');
    const { message: reply } = await asBob.postMessage(room.slug, 'I do', { replyToSeq: parent.seq });
    expect(reply).toMatchObject({ reply_to_seq: parent.seq, room_id: room.id });
    const first = await asBob.sendDirect(alice.agent.id, 'a question');
    const answer = await asAlice.sendDirect(bob.agent.id, 'an answer', { replyToSeq: first.message.seq });
    expect(answer.message).toMatchObject({ room_id: first.room.id, reply_to_seq: first.message.seq });
  });

  it('refuses a direct message to an unknown agent or one of another tenant with 404, and stores nothing', async () => {
    const before = await directRooms();
    for (const agentId of [randomUUID(), stranger.agent.id]) {
      const error = await rejection(asAlice.sendDirect(agentId, 'hello?'));
      expect(error).toBeInstanceOf(AgentHubError);
      expect(error).toMatchObject({ status: 404, code: 'not_found' });
    }
    expect(await rejection(asAlice.sendDirect(alice.agent.id, 'me'))).toMatchObject({ code: 'direct_to_self' });
    expect(await directRooms()).toBe(before);
  });

  it('throws a typed conflict naming the holder and its expiry, then lets the resource go', async () => {
    const { claim } = await asAlice.claim(room.slug, { resource: 'file:src/**', ttlSeconds: 120, note: 'refactor' });
    expect(claim).toMatchObject({ resource: 'file:src/**', mode: 'exclusive', holder: { id: alice.agent.id } });

    const error = await rejection(asBob.claim(room.id, { resource: 'file:src/app.ts', ttlSeconds: 60 }));
    expect(error).toBeInstanceOf(ClaimConflictError);
    expect(error).toMatchObject({ status: 409, code: 'claim_conflict', message: expect.stringContaining('alice') });
    expect((error as ClaimConflictError).conflicts).toEqual([
      {
        claim_id: claim.id,
        resource: 'file:src/**',
        mode: 'exclusive',
        holder: { type: 'agent', id: alice.agent.id, name: 'alice' },
        expires_at: claim.expires_at,
      },
    ]);

    const renewed = await asAlice.renewClaim(room.id, claim.id, 600);
    expect(Date.parse(renewed.claim.expires_at)).toBeGreaterThan(Date.parse(claim.expires_at));
    expect((await asBob.listClaims(room.id)).claims.map((c) => c.id)).toEqual([claim.id]);
    await asAlice.releaseClaim(room.id, claim.id);
    await asAlice.releaseClaim(room.id, claim.id); // an ended claim stays ended: no error
    expect((await asBob.listClaims(room.id)).claims).toEqual([]);
    const shared = await asBob.claim(room.id, { resource: 'file:src/app.ts', mode: 'shared', ttlSeconds: 60 });
    expect(shared.claim.mode).toBe('shared');
    await asBob.releaseClaim(room.id, shared.claim.id);
  });

  it('refuses a bad claim with 400 and another tenant with 404, storing nothing', async () => {
    const before = (await storedClaims(t, room.id)).length;
    for (const input of [
      { resource: 'task:1', ttlSeconds: 0 },
      { resource: 'no kind', ttlSeconds: 60 },
    ])
      expect(await rejection(asAlice.claim(room.id, input))).toMatchObject({ status: 400 });
    // Thunks, not promises: a second call started before the first is awaited would reject unobserved.
    for (const attempt of [
      () => asStranger.claim(room.id, { resource: 'task:1', ttlSeconds: 60 }),
      () => asStranger.listClaims(room.slug),
    ])
      expect(await rejection(attempt())).toMatchObject({ status: 404 });
    expect((await storedClaims(t, room.id)).length).toBe(before);
  });

  it("finds a planted word in the rooms one may read, and not in another tenant's", async () => {
    const { message } = await asAlice.postMessage(room.id, 'the quokkaflux deploy failed on staging');
    const found = await asBob.searchMessages({
      q: 'quokkaflux',
      roomId: room.slug,
      from: new Date(Date.now() - 60_000),
    });
    expect(found.results).toEqual([expect.objectContaining({ message_id: message.id, room_slug: room.slug })]);
    expect(found.results[0]?.snippet_parts.filter((p) => p.highlighted).map((p) => p.text)).toEqual(['quokkaflux']);
    expect((await asStranger.searchMessages({ q: 'quokkaflux' })).results).toEqual([]);
    expect(await rejection(asStranger.searchMessages({ q: 'quokkaflux', roomId: room.id }))).toMatchObject({
      status: 404,
    });
    expect(await rejection(asBob.searchMessages({ q: '' }))).toMatchObject({ status: 400, code: 'query_empty' });
  });

  it('sets a wake hook whose generated secret is shown once, reads it without the secret, and deletes it', async () => {
    expect(await asAlice.getWakeHook()).toEqual({ wake_hook: null });
    const bad = await rejection(asAlice.setWakeHook({ url: 'ftp://runner.example.com/wake' }));
    expect(bad).toMatchObject({ status: 400 });
    expect(await asAlice.getWakeHook()).toEqual({ wake_hook: null });

    const set = await asAlice.setWakeHook({ url: 'https://203.0.113.9/wake/abcd1234', coalesceSeconds: 10 });
    expect(set.secret).toMatch(/^whsec_/);
    expect(set.wake_hook).toMatchObject({ agent_id: alice.agent.id, coalesce_seconds: 10 });
    const read = await asAlice.getWakeHook();
    expect(read.wake_hook).toMatchObject({ url: 'https://203.0.113.9/…1234', wake_on_room_mentions: false });
    expect(JSON.stringify(read)).not.toContain(set.secret ?? 'whsec_');
    const again = await asAlice.setWakeHook({ url: 'https://203.0.113.9/wake/efgh5678', wakeOnRoomMentions: true });
    expect(again.secret).toBeNull();

    await asAlice.deleteWakeHook();
    expect(await asAlice.getWakeHook()).toEqual({ wake_hook: null });
    await asAlice.deleteWakeHook(); // none left: no error
  });

  it('hears inbox:pending and the claim events on the realtime client, and claims and acks over the socket', async () => {
    const { message } = await asAlice.sendDirect(bob.agent.id, 'are you there?');
    const { pending: waiting } = await asBob.inbox();
    const realtime = asBob.realtime();
    realtimes.push(realtime);
    const pending: number[] = [];
    const events: [string, ClaimEvent][] = [];
    realtime.on('inbox:pending', ({ pending: n }) => pending.push(n));
    for (const change of ['created', 'renewed', 'released', 'expired'] as const)
      realtime.on(`claim:${change}`, (event) => events.push([change, event]));
    await realtime.connect();
    await waitFor(() => pending.length > 0, 'inbox:pending');
    expect(pending).toEqual([waiting]);
    expect(await realtime.ackInbox([message.id])).toEqual({ acknowledged: [message.id], unknown: [] });

    const { claim } = await asAlice.claim(room.id, { resource: 'task:42', ttlSeconds: 60 });
    await waitFor(() => events.length === 1, 'claim:created');
    expect(events[0]).toEqual(['created', { room_id: room.id, claim }]);
    const refused = await rejection(realtime.claim(room.id, { resource: 'task:42', ttlSeconds: 60 }));
    expect(refused).toBeInstanceOf(ClaimConflictError);
    expect((refused as ClaimConflictError).conflicts[0]?.holder).toMatchObject({ id: alice.agent.id });

    await asAlice.releaseClaim(room.id, claim.id);
    await waitFor(() => events.length === 2, 'claim:released');
    expect(events[1]?.[0]).toBe('released');
    const mine = await realtime.claim(room.id, { resource: 'task:42', ttlSeconds: 1 });
    expect((await realtime.renewClaim(room.id, mine.id, 1)).id).toBe(mine.id);
    await waitFor(() => events.some(([change]) => change === 'expired'), 'claim:expired');
    expect(await realtime.releaseClaim(room.id, mine.id)).toMatchObject({ released: false, claim: { id: mine.id } });
    expect(events.map(([change]) => change)).toEqual(['created', 'released', 'created', 'renewed', 'expired']);
  });
});
