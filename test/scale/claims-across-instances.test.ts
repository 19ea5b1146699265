import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { claimOverRest, liveClaims, releaseOverRest, type WireClaim } from '../harness/claims.js';
import { REDIS_URL, startFleet, type Fleet, type Instance } from '../harness/fleet.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { accessTokenFor, createRoom, createRoomAgent, type RoomAgent } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, sleep, until } from '../harness/sockets.js';

const ROUNDS = 50;

/**
 * Two instances on one database and Redis, racing for the same claim. On Postgres the second instance has a
 * pool of its own (as a second process would), so the two race on separate connections and only the
 * database's advisory lock orders them.
 */
describe.runIf(REDIS_URL)('claims across two instances', () => {
  let fleet: Fleet;
  let a: Instance;
  let b: TestApp & { url: string };
  let ownPool: Database | undefined;
  let admin: Person;

  beforeAll(async () => {
    fleet = await startFleet(1);
    a = fleet.instances[0] as Instance;
    const pool = (fleet.database.db as unknown as { $client: unknown }).$client;
    if (fleet.database.kind === 'postgres')
      ownPool = await openDatabase({ url: (pool as pg.Pool).options.connectionString, poolMax: 10 });
    b = await startTestServer({
      database: ownPool ?? fleet.database,
      config: { REDIS_URL, REDIS_PREFIX: fleet.prefix },
    });
    admin = await signInAdmin(a);
  });
  afterAll(async () => {
    closeAllSockets();
    await b.close();
    await ownPool?.close();
    await fleet.close();
  });

  /** The agent's JWT works on both instances (same signing key); REST calls go to the instance given. */
  const on = (t: TestApp, agent: RoomAgent): RoomAgent => ({ ...agent, jwt: accessTokenFor(t, agent) });

  it(`lets exactly one of them win, every time (${ROUNDS} rounds, three agents on each instance)`, async () => {
    // Exact rounds in a room of their own (decided in one statement), glob rounds in another (live globs there
    // send every claim to the comparison in JS).
    const exactRoom = await createRoom(a, admin);
    const globRoom = await createRoom(a, admin);
    const agents = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        createRoomAgent(a, admin, { rooms: [exactRoom.id, globRoom.id], name: `racer-${i}` }),
      ),
    );
    const racers = agents.map((agent, i) => ({ t: i % 2 === 0 ? a : b, agent: on(i % 2 === 0 ? a : b, agent) }));
    const winners: { round: number; instance: string; holder: string }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Half the rounds race for one exact resource; the others race a glob against an exact file it matches.
      const room = round % 2 === 0 ? exactRoom : globRoom;
      const resources = round % 2 === 0 ? [`task:${round}`] : [`file:r${round}/**`, `file:r${round}/src/app.ts`];
      const answers = await Promise.all(
        racers.map(({ t, agent }, i) =>
          claimOverRest(t, agent, room.id, { resource: resources[i % resources.length], ttl_seconds: 600 }),
        ),
      );
      const won = answers.filter((r) => r.statusCode === 201);
      expect(
        answers.every((r) => r.statusCode === 201 || r.statusCode === 409),
        `round ${round}`,
      ).toBe(true);
      expect(won, `round ${round}`).toHaveLength(1);
      const claim = won[0]?.json<{ claim: WireClaim }>().claim;
      const index = answers.findIndex((r) => r.statusCode === 201);
      winners.push({ round, instance: index % 2 === 0 ? 'a' : 'b', holder: claim?.holder.id ?? '' });
      // Every loser was told who won.
      for (const lost of answers.filter((r) => r.statusCode === 409))
        expect(lost.json<{ conflicts: { claim_id: string }[] }>().conflicts.map((c) => c.claim_id)).toEqual([
          claim?.id,
        ]);
    }
    // Both instances won some rounds: the race was real, not one instance always first.
    expect(new Set(winners.map((w) => w.instance)).size).toBe(2);
    const live = [...(await liveClaims(b, admin, exactRoom.id)), ...(await liveClaims(b, admin, globRoom.id))];
    expect(live).toHaveLength(ROUNDS);
  });

  it("tells the room's sockets on the other instance about a claim, its release and its expiry", async () => {
    const room = await createRoom(a, admin);
    const holder = await createRoomAgent(a, admin, { rooms: [room.id], name: 'holder' });
    const watcher = await createRoomAgent(a, admin, { rooms: [room.id], name: 'watcher' });
    const onB = await connectAgent(b.url, accessTokenFor(b, watcher));
    const heard: string[] = [];
    for (const change of ['created', 'released', 'expired'])
      onB.socket.on(`claim:${change}`, (e: { claim: WireClaim }) => heard.push(`${change} ${e.claim.resource}`));

    const res = await claimOverRest(a, holder, room.id, { resource: 'task:seen-across', ttl_seconds: 60 });
    expect(res.statusCode).toBe(201);
    const claim = res.json<{ claim: WireClaim }>().claim;
    expect((await releaseOverRest(a, holder, room.id, claim.id)).statusCode).toBe(204);
    expect((await claimOverRest(a, holder, room.id, { resource: 'task:brief', ttl_seconds: 1 })).statusCode).toBe(201);
    await until('the expiry', () => heard.includes('expired task:brief'), 10_000);
    await sleep(1500); // two more sweeps, on either instance: still announced once
    expect(heard).toEqual([
      'created task:seen-across',
      'released task:seen-across',
      'created task:brief',
      'expired task:brief',
    ]);
  });
});
