import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOM_LIVE_CLAIMS_MAX } from '../../src/modules/claims/claims.service.js';
import { createTestApp, startTestServer, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import {
  claimOverRest,
  liveClaims,
  releaseOverRest,
  renewOverRest,
  storedClaims,
  type WireClaim,
  type WireConflict,
} from '../harness/claims.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { closeAllMcp, connectMcp } from '../harness/mcp.js';
import { createRoom, createRoomAgent, headersOf, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, sleep, until, type AgentClient } from '../harness/sockets.js';

interface ClaimEvent {
  room_id: string;
  claim: WireClaim;
}

/** Every claim event a socket heard, as `change resource`. */
function recordClaimEvents(client: AgentClient): { events: (ClaimEvent & { change: string })[] } {
  const log = { events: [] as (ClaimEvent & { change: string })[] };
  for (const change of ['created', 'renewed', 'released', 'expired'])
    client.socket.on(`claim:${change}`, (event: ClaimEvent) => log.events.push({ ...event, change }));
  return log;
}

describe('claims of a room', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let other: Person;
  let room: WireRoom;
  let alice: RoomAgent;
  let bob: RoomAgent;
  let outsider: RoomAgent; // the owner's, not a member
  let foreign: RoomAgent; // another tenant's

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Olga Owner', plan: 'pro' });
    other = await createUser(t, admin, { name: 'Oscar Other', plan: 'pro' });
    room = await createRoom(t, owner);
    alice = await createRoomAgent(t, admin, { owner, rooms: [room.id], name: 'alice' });
    bob = await createRoomAgent(t, admin, { owner, rooms: [room.id], name: 'bob' });
    outsider = await createRoomAgent(t, admin, { owner, name: 'outsider' });
    foreign = await createRoomAgent(t, admin, { owner: other, rooms: [(await createRoom(t, other)).id] });
  });
  afterAll(async () => {
    closeAllSockets();
    await closeAllMcp();
    await t.close();
  });

  const claimed = (res: LightMyRequestResponse) => {
    expect(res.statusCode).toBe(201);
    return res.json<{ claim: WireClaim }>().claim;
  };

  it('grants a claim, and refuses an overlapping one with 409 naming the holder and until when', async () => {
    const before = Date.now();
    const glob = claimed(
      await claimOverRest(t, alice, room.id, { resource: 'file:src/**/*.ts', ttl_seconds: 120, note: 'refactor' }),
    );
    expect(glob).toEqual({
      id: expect.any(String) as string,
      room_id: room.id,
      resource: 'file:src/**/*.ts',
      mode: 'exclusive',
      holder: { type: 'agent', id: alice.agent.id, name: 'alice' },
      note: 'refactor',
      created_at: expect.any(String) as string,
      renewed_at: null,
      expires_at: expect.any(String) as string,
      released_at: null,
    });
    const ttl = Date.parse(glob.expires_at) - Date.parse(glob.created_at);
    expect(ttl).toBe(120_000);
    expect(Date.parse(glob.created_at)).toBeGreaterThan(before - 5000);

    const refused = await claimOverRest(t, bob, room.id, { resource: 'file:src/app.ts', mode: 'shared' });
    expect(refused.statusCode).toBe(409);
    const body = refused.json<{ error: string; message: string; conflicts: WireConflict[] }>();
    expect(body).toMatchObject({ error: 'claim_conflict' });
    expect(body.conflicts).toEqual([
      {
        claim_id: glob.id,
        resource: 'file:src/**/*.ts',
        mode: 'exclusive',
        holder: { type: 'agent', id: alice.agent.id, name: 'alice' },
        expires_at: glob.expires_at,
      },
    ]);
    expect(body.message).toContain('alice');
    expect(body.message).toContain(glob.expires_at);

    // Not overlapping: another file kind, another extension.
    claimed(await claimOverRest(t, bob, room.id, { resource: 'file:src/app.js' }));
    claimed(await claimOverRest(t, bob, room.id, { resource: 'task:1234' }));
    expect((await liveClaims(t, owner, room.id)).map((c) => c.resource)).toEqual([
      'file:src/**/*.ts',
      'file:src/app.js',
      'task:1234',
    ]);
  });

  it('lets shared claims share a resource, and refuses an exclusive one over them (and theirs over it)', async () => {
    const a = claimed(await claimOverRest(t, alice, room.id, { resource: 'doc:readme', mode: 'shared' }));
    const b = claimed(await claimOverRest(t, bob, room.id, { resource: 'doc:readme', mode: 'shared' }));
    const exclusive = await claimOverRest(t, owner, room.id, { resource: 'doc:*', mode: 'exclusive' });
    expect(exclusive.statusCode).toBe(409);
    expect(exclusive.json<{ conflicts: WireConflict[] }>().conflicts.map((c) => c.claim_id)).toEqual([a.id, b.id]);
    // A person who may post in the room claims as themselves.
    const person = claimed(await claimOverRest(t, owner, room.id, { resource: 'doc:changelog' }));
    expect(person.holder).toEqual({ type: 'user', id: owner.id, name: 'Olga Owner' });
    const overPerson = await claimOverRest(t, alice, room.id, { resource: 'doc:changelog', mode: 'shared' });
    expect(overPerson.json<{ conflicts: WireConflict[] }>().conflicts[0]?.holder).toEqual(person.holder);
  });

  it('counts the holder’s own claims too: claiming again what you hold is a conflict, renew instead', async () => {
    const mine = claimed(await claimOverRest(t, alice, room.id, { resource: 'task:own' }));
    const again = await claimOverRest(t, alice, room.id, { resource: 'task:own' });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ conflicts: WireConflict[] }>().conflicts[0]?.claim_id).toBe(mine.id);
  });

  it('renews for the holder only, over PATCH and POST …/renew, and refuses to renew an ended claim', async () => {
    const claim = claimed(await claimOverRest(t, alice, room.id, { resource: 'task:renew-me', ttl_seconds: 5 }));
    const renewed = await renewOverRest(t, alice, room.id, claim.id, 600);
    expect(renewed.statusCode).toBe(200);
    const after = renewed.json<{ claim: WireClaim }>().claim;
    expect(after.renewed_at).not.toBeNull();
    expect(Date.parse(after.expires_at) - Date.parse(after.renewed_at ?? '')).toBe(600_000);

    const viaPost = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rooms/${room.id}/claims/${claim.id}/renew`,
      headers: headersOf(alice),
      payload: { ttl_seconds: 300 },
    });
    expect(viaPost.statusCode).toBe(200);

    const stored = await storedClaims(t, room.id);
    const byBob = await renewOverRest(t, bob, room.id, claim.id, 86_400);
    expect(byBob.statusCode).toBe(403);
    const byOwner = await renewOverRest(t, owner, room.id, claim.id, 86_400);
    expect(byOwner.statusCode).toBe(403);
    expect(await storedClaims(t, room.id)).toEqual(stored);

    expect((await releaseOverRest(t, alice, room.id, claim.id)).statusCode).toBe(204);
    const late = await renewOverRest(t, alice, room.id, claim.id, 60);
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ error: 'claim_ended' });
  });

  it('releases for the holder or whoever may manage the room, not for another member', async () => {
    const claim = claimed(await claimOverRest(t, alice, room.id, { resource: 'task:release-me' }));
    const byBob = await releaseOverRest(t, bob, room.id, claim.id);
    expect(byBob.statusCode).toBe(403);
    expect((await liveClaims(t, bob, room.id)).map((c) => c.id)).toContain(claim.id);
    expect((await releaseOverRest(t, owner, room.id, claim.id)).statusCode).toBe(204);
    expect((await liveClaims(t, bob, room.id)).map((c) => c.id)).not.toContain(claim.id);
    // Releasing an ended claim changes nothing and says so without an error.
    expect((await releaseOverRest(t, alice, room.id, claim.id)).statusCode).toBe(204);
    claimed(await claimOverRest(t, bob, room.id, { resource: 'task:release-me' }));
  });

  it('stops counting a claim at expires_at, without waiting for the sweep, and announces the expiry', async () => {
    const watcher = await connectAgent(t.url, bob.jwt);
    const log = recordClaimEvents(watcher);
    const short = claimed(await claimOverRest(t, alice, room.id, { resource: 'task:short', ttl_seconds: 1 }));
    expect((await claimOverRest(t, bob, room.id, { resource: 'task:short' })).statusCode).toBe(409);
    await sleep(Date.parse(short.expires_at) - Date.now() + 50);
    claimed(await claimOverRest(t, bob, room.id, { resource: 'task:short' }));
    expect((await liveClaims(t, owner, room.id)).map((c) => c.id)).not.toContain(short.id);
    const expired = await until('claim:expired', () =>
      log.events.find((e) => e.change === 'expired' && e.claim.id === short.id),
    );
    expect(expired.claim.released_at).toBe(short.expires_at);
    expect(expired.room_id).toBe(room.id);
    watcher.socket.close();
  });

  it('answers 404 to agents outside the room, to another tenant and about a claim of another room', async () => {
    const probe = claimed(await claimOverRest(t, alice, room.id, { resource: 'task:tenancy' }));
    for (const caller of [outsider, foreign, other]) {
      expect((await claimOverRest(t, caller, room.id, { resource: 'task:other' })).statusCode).toBe(404);
      const list = await t.app.inject({ url: `/api/v1/rooms/${room.id}/claims`, headers: headersOf(caller) });
      expect(list.statusCode).toBe(404);
      expect((await releaseOverRest(t, caller, room.id, probe.id)).statusCode).toBe(404);
      expect((await renewOverRest(t, caller, room.id, probe.id, 60)).statusCode).toBe(404);
    }
    // A claim id of another room is not found in this one.
    const otherRoom = await createRoom(t, owner);
    expect((await releaseOverRest(t, owner, otherRoom.id, probe.id)).statusCode).toBe(404);
    expect((await liveClaims(t, owner, room.id)).map((c) => c.id)).toContain(probe.id);
  });

  it('refuses bad input with 400 and stores nothing', async () => {
    const empty = await createRoom(t, owner);
    const member = await createRoomAgent(t, admin, { owner, rooms: [empty.id] });
    const bad: Record<string, unknown>[] = [
      { resource: 'task:1', ttl_seconds: 0 },
      { resource: 'task:1', ttl_seconds: 86_401 },
      { resource: 'task:1', ttl_seconds: 1e12 },
      { resource: 'task:1', ttl_seconds: 1.5 },
      { resource: 'task:1', ttl_seconds: '60' },
      { resource: 'task:1', ttl_seconds: -5 },
      { resource: 'task:1', ttl_seconds: 60, mode: 'forever' },
      { resource: 'task:1', ttl_seconds: 60, owner: 'me' },
      { resource: 'no kind', ttl_seconds: 60 },
      { resource: `task:${'x'.repeat(300)}`, ttl_seconds: 60 },
      { resource: 'task:new\nline', ttl_seconds: 60 },
      { resource: 'task:\u0000', ttl_seconds: 60 },
      { resource: 'file:****', ttl_seconds: 60 },
      { resource: '', ttl_seconds: 60 },
      { resource: 42, ttl_seconds: 60 },
      { ttl_seconds: 60 },
      { resource: 'task:1' },
      { resource: 'task:1', ttl_seconds: 60, note: 'n'.repeat(501) },
    ];
    for (const payload of bad) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/rooms/${empty.id}/claims`,
        headers: headersOf(member),
        payload,
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request' });
    }
    const good = claimed(await claimOverRest(t, member, empty.id, { resource: 'task:1' }));
    for (const payload of [{}, { ttl_seconds: 0 }, { ttl_seconds: 60, extra: true }]) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/rooms/${empty.id}/claims/${good.id}`,
        headers: headersOf(member),
        payload,
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const notAUuid = await releaseOverRest(t, member, empty.id, 'not-a-uuid');
    expect(notAUuid.statusCode).toBe(400);
    const rows = await storedClaims(t, empty.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: good.id, renewed_at: null });
  });

  it('speaks socket.io: claim, conflict ack, renew, release and list, with the room hearing every change', async () => {
    const onAlice = await connectAgent(t.url, alice.jwt);
    const onBob = await connectAgent(t.url, bob.jwt);
    const heard = recordClaimEvents(onBob);
    const ack = await onAlice.ask('claim', { room_id: room.id, resource: 'file:web/*.js', ttl_seconds: 60 });
    expect(ack).toMatchObject({ ok: true, claim: { resource: 'file:web/*.js', holder: { id: alice.agent.id } } });
    const claim = (ack as unknown as { claim: WireClaim }).claim;

    const refused = await onBob.ask('claim', { room_id: room.id, resource: 'file:web/room.js', ttl_seconds: 60 });
    expect(refused).toEqual({
      ok: false,
      error: 'claim_conflict',
      message: expect.stringContaining('alice') as string,
      conflicts: [
        {
          claim_id: claim.id,
          resource: 'file:web/*.js',
          mode: 'exclusive',
          holder: { type: 'agent', id: alice.agent.id, name: 'alice' },
          expires_at: claim.expires_at,
        },
      ],
    });
    const listed = await onBob.ask('claims:list', { room_id: room.id });
    expect(listed).toMatchObject({ ok: true, server_time: expect.any(String) as string });
    expect((listed as unknown as { claims: WireClaim[] }).claims.map((c) => c.id)).toContain(claim.id);

    expect(await onBob.ask('claim:renew', { room_id: room.id, claim_id: claim.id, ttl_seconds: 60 })).toMatchObject({
      ok: false,
      error: 'forbidden',
    });
    expect(await onAlice.ask('claim:renew', { room_id: room.id, claim_id: claim.id, ttl_seconds: 90 })).toMatchObject({
      ok: true,
      claim: { id: claim.id },
    });
    expect(await onAlice.ask('claim:release', { room_id: room.id, claim_id: claim.id })).toMatchObject({
      ok: true,
      released: true,
      claim: { id: claim.id, released_at: expect.any(String) as string },
    });
    expect(await onAlice.ask('claim', { room_id: room.id, resource: 'task:1', ttl_seconds: 0 })).toMatchObject({
      ok: false,
      error: 'invalid_request',
    });

    await until('three events at bob', () => heard.events.filter((e) => e.claim.id === claim.id).length === 3);
    expect(heard.events.filter((e) => e.claim.id === claim.id).map((e) => e.change)).toEqual([
      'created',
      'renewed',
      'released',
    ]);
    // The outsider's socket hears nothing of the room's claims and may not claim in it.
    const onOutsider = await connectAgent(t.url, outsider.jwt);
    const outsiderHeard = recordClaimEvents(onOutsider);
    expect(await onOutsider.ask('claim', { room_id: room.id, resource: 'task:x', ttl_seconds: 60 })).toMatchObject({
      ok: false,
      error: 'forbidden',
    });
    expect(await onOutsider.ask('claims:list', { room_id: room.id })).toMatchObject({ ok: false, error: 'forbidden' });
    await onAlice.ask('claim:release', {
      room_id: room.id,
      claim_id: (
        (await onAlice.ask('claim', { room_id: room.id, resource: 'task:quiet', ttl_seconds: 60 })) as unknown as {
          claim: WireClaim;
        }
      ).claim.id,
    });
    await until('bob heard task:quiet released', () =>
      heard.events.some((e) => e.claim.resource === 'task:quiet' && e.change === 'released'),
    );
    expect(outsiderHeard.events).toEqual([]);
    for (const client of [onAlice, onBob, onOutsider]) client.socket.close();
  });

  it('speaks MCP: claim (or who holds it), list_claims, renew_claim and release, as the calling agent', async () => {
    const asAlice = await connectMcp(t.url, alice.jwt);
    const asBob = await connectMcp(t.url, bob.jwt);
    const got = await asAlice.ok<{ claimed: boolean; claim: WireClaim }>('claim', {
      room: room.slug,
      resource: 'task:mcp',
      ttl_seconds: 60,
      note: 'over MCP',
    });
    expect(got).toMatchObject({ claimed: true, claim: { resource: 'task:mcp', note: 'over MCP' } });
    const lost = await asBob.ok<{ claimed: boolean; conflicts: WireConflict[]; message: string }>('claim', {
      room: room.id,
      resource: 'task:*',
      mode: 'shared',
      ttl_seconds: 60,
    });
    expect(lost.claimed).toBe(false);
    expect(lost.conflicts.map((c) => c.holder.name)).toContain('alice');

    const listed = await asBob.ok<{ claims: WireClaim[] }>('list_claims', { room: room.id });
    expect(listed.claims.map((c) => c.id)).toContain(got.claim.id);
    expect(await asBob.fails('renew_claim', { room: room.id, claim_id: got.claim.id, ttl_seconds: 60 })).toMatch(
      /holder.*\(forbidden\)/,
    );
    expect(await asAlice.ok('renew_claim', { room: room.id, claim_id: got.claim.id, ttl_seconds: 120 })).toMatchObject({
      claim: { id: got.claim.id },
    });
    expect(await asBob.fails('release', { room: room.id, claim_id: got.claim.id })).toMatch(/forbidden/);
    expect(await asAlice.ok('release', { room: room.id, claim_id: got.claim.id })).toMatchObject({ released: true });
    expect(await asAlice.fails('claim', { room: room.id, resource: 'task:1', ttl_seconds: 999_999 })).toMatch(/86400/);

    const asOutsider = await connectMcp(t.url, outsider.jwt);
    expect(await asOutsider.fails('list_claims', { room: room.id })).toMatch(/not_found/);
    expect(await asOutsider.fails('claim', { room: room.id, resource: 'task:1', ttl_seconds: 60 })).toMatch(
      /not_found/,
    );
  });

  it('compares an exact claim with a live glob over it by overlap and mode, whichever was first', async () => {
    const docs = await createRoom(t, owner);
    const [reader, writer] = await Promise.all(
      ['reader', 'writer'].map((name) => createRoomAgent(t, admin, { owner, rooms: [docs.id], name })),
    );
    const glob = claimed(await claimOverRest(t, reader!, docs.id, { resource: 'file:docs/**', mode: 'shared' }));
    // Shared beside shared: granted. Exclusive inside the shared glob: refused, naming the glob.
    claimed(await claimOverRest(t, writer!, docs.id, { resource: 'file:docs/a.md', mode: 'shared' }));
    const refused = await claimOverRest(t, writer!, docs.id, { resource: 'file:docs/guide/b.md' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ conflicts: WireConflict[] }>().conflicts.map((c) => c.claim_id)).toEqual([glob.id]);
    // Outside the glob: granted exclusively.
    const outside = claimed(await claimOverRest(t, writer!, docs.id, { resource: 'file:src/b.md' }));
    // And the other way round: a glob over a live exclusive claim is refused, naming it.
    const over = await claimOverRest(t, reader!, docs.id, { resource: 'file:src/*.md', mode: 'shared' });
    expect(over.json<{ conflicts: WireConflict[] }>().conflicts.map((c) => c.claim_id)).toEqual([outside.id]);
  });

  it(`refuses a claim in a room holding ${ROOM_LIVE_CLAIMS_MAX} live claims with 409, exact or glob, and stores nothing`, async () => {
    const full = await createRoom(t, owner);
    const filler = await createRoomAgent(t, admin, { owner, rooms: [full.id], name: 'filler' });
    await t.database.db.execute(sql`
      insert into room_claims (room_id, resource, mode, holder_agent_id, expires_at)
      select ${full.id}::uuid, 'task:filler-' || g, 'exclusive', ${filler.agent.id}::uuid, now() + interval '1 hour'
      from generate_series(1, ${ROOM_LIVE_CLAIMS_MAX}::int) g`);
    for (const resource of ['task:one-more', 'task:other-*']) {
      const refused = await claimOverRest(t, filler, full.id, { resource });
      expect(refused.statusCode, resource).toBe(409);
      expect(refused.json<{ error: string; limit: number }>()).toMatchObject({
        error: 'too_many_claims',
        limit: ROOM_LIVE_CLAIMS_MAX,
      });
    }
    expect(await storedClaims(t, full.id)).toHaveLength(ROOM_LIVE_CLAIMS_MAX);
    // An ended claim no longer counts.
    await t.database.db.execute(
      sql`update room_claims set released_at = now() where room_id = ${full.id}::uuid and resource = 'task:filler-1'`,
    );
    claimed(await claimOverRest(t, filler, full.id, { resource: 'task:one-more' }));
  });

  it('lets exactly one of many concurrent claims for one resource win, and all claims of distinct ones', async () => {
    const race = await createRoom(t, owner);
    const racers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => createRoomAgent(t, admin, { owner, rooms: [race.id], name: `racer-${i}` })),
    );
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(
        racers.map((r) => claimOverRest(t, r, race.id, { resource: `task:round-${round}` })),
      );
      expect(answers.map((a) => a.statusCode).sort()).toEqual([201, ...Array<number>(racers.length - 1).fill(409)]);
    }
    const distinct = await Promise.all(
      racers.flatMap((r, i) =>
        [0, 1, 2, 3, 4].map((k) => claimOverRest(t, r, race.id, { resource: `file:own/${i}/${k}.ts` })),
      ),
    );
    expect(distinct.every((a) => a.statusCode === 201)).toBe(true);
    const shared = await Promise.all(
      racers.map((r) => claimOverRest(t, r, race.id, { resource: 'doc:shared', mode: 'shared' })),
    );
    expect(shared.every((a) => a.statusCode === 201)).toBe(true);
    expect((await claimOverRest(t, owner, race.id, { resource: 'doc:**' })).statusCode).toBe(409);
    expect(await liveClaims(t, owner, race.id)).toHaveLength(5 + racers.length * 5 + racers.length);
  });
});

describe('claims across a restart', () => {
  it('are rows: a restarted app on the same database still lists them and still refuses conflicts', async () => {
    const database = await createTestDatabase();
    try {
      const first = await createTestApp({ database });
      const admin = await signInAdmin(first);
      const room = await createRoom(first, admin);
      const holder = await createRoomAgent(first, admin, { rooms: [room.id], name: 'holder' });
      const other = await createRoomAgent(first, admin, { rooms: [room.id], name: 'other' });
      const res = await claimOverRest(first, holder, room.id, { resource: 'task:survives', ttl_seconds: 600 });
      expect(res.statusCode).toBe(201);
      const claim = res.json<{ claim: WireClaim }>().claim;
      await first.close();

      const second = await createTestApp({ database });
      try {
        expect(await liveClaims(second, admin, room.id)).toEqual([claim]);
        const refused = await claimOverRest(second, other, room.id, { resource: 'task:*' });
        expect(refused.statusCode).toBe(409);
        expect(refused.json<{ conflicts: WireConflict[] }>().conflicts[0]?.claim_id).toBe(claim.id);
      } finally {
        await second.close();
      }
    } finally {
      await database.close();
    }
  });
});
