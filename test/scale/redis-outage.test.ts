import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, REDIS_URL, startFleet, type Fleet, type Instance } from '../harness/fleet.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage, scrape, type RoomAgent } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, until, type AgentClient, type PresenceAgent } from '../harness/sockets.js';
import { startTcpProxy, type OutageMode, type TcpProxy } from '../harness/tcp-proxy.js';

/** Both instances reach Redis through a proxy, so the outage is theirs alone: the real Redis stays up. */
describe.runIf(REDIS_URL)('a Redis outage under two instances', () => {
  let proxy: TcpProxy;
  let fleet: Fleet;
  let a: Instance;
  let b: Instance;
  let admin: Person;

  beforeAll(async () => {
    const target = new URL(REDIS_URL ?? 'redis://127.0.0.1:6379');
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    // A short presence TTL, so entries expire during the outage and must be restored after it.
    fleet = await startFleet(2, { REDIS_URL: proxy.url(target.toString()), PRESENCE_TTL: 1.5, RATE_LIMIT_ANON: 1000 });
    [a, b] = fleet.instances as [Instance, Instance];
    admin = await signInAdmin(a);
  });
  afterAll(async () => {
    closeAllSockets();
    await fleet.close();
    await proxy.close();
  });

  const redisState = async (on: Instance) => {
    const ready = await on.app.inject('/readyz');
    const up = (await scrape(on, 'agenthub_redis_up')).get('');
    return { status: ready.statusCode, redis: ready.json<{ checks: { redis?: string } }>().checks.redis, up };
  };
  const presenceIn = async (client: AgentClient, roomId: string) => {
    const reply = await client.ask('room:join', { room_id: roomId });
    return reply.ok ? (reply['presence'] as PresenceAgent[]).map((p) => p.agent_id) : [];
  };

  async function roomAcross(): Promise<{
    roomId: string;
    x: RoomAgent;
    onA: AgentClient;
    peerOnA: AgentClient;
    onB: AgentClient;
  }> {
    const room = await createRoom(a, admin);
    const [x, peer, y] = await Promise.all([1, 2, 3].map(() => createRoomAgent(a, admin, { rooms: [room.id] })));
    return {
      roomId: room.id,
      x: x!,
      onA: await connectAgent(a.url, x!.jwt),
      peerOnA: await connectAgent(a.url, peer!.jwt),
      onB: await connectAgent(b.url, y!.jwt),
    };
  }

  for (const mode of ['refuse', 'hang'] as const satisfies readonly OutageMode[]) {
    it(`keeps serving HTTP and local sockets while Redis is away (${mode}), says so, and recovers`, async () => {
      const { roomId, x, onA, peerOnA, onB } = await roomAcross();
      for (const on of [a, b]) expect(await redisState(on)).toEqual({ status: 200, redis: 'ok', up: 1 });

      proxy.pause(mode);
      for (const on of [a, b])
        expect(
          await eventually('the outage to show', async () => {
            const state = await redisState(on);
            return state.redis === 'error' && state.up === 0 && state;
          }),
        ).toEqual({ status: 200, redis: 'error', up: 0 });

      // HTTP: served (the shared rate limit lets requests through rather than refusing them).
      expect((await b.app.inject('/healthz')).statusCode).toBe(200);
      expect((await postMessage(a, admin, roomId, 'over REST during the outage')).statusCode).toBe(201);
      // Local sockets: a message sent on a reaches the other socket on a, and is stored.
      const during = await onA.send(roomId, 'on a during the outage');
      expect(during).toMatchObject({ ok: true });
      await until('both messages on the peer on a', () => peerOnA.received.length === 2);
      // New sockets are accepted and joined to their rooms.
      expect((await connectAgent(b.url, x.jwt)).hello.rooms.map((r) => r.id)).toContain(roomId);

      proxy.resume();
      for (const on of [a, b])
        await eventually('the recovery to show', async () => {
          const state = await redisState(on);
          return state.redis === 'ok' && state.up === 1;
        });
      // Cross-instance delivery resumes once the subscriber connection is back (until then, sends are lost to b).
      let lastSent = 0;
      await eventually('a message sent on a to reach b again', async () => {
        if (onB.received.some((m) => m.body === 'after the outage')) return true;
        if (Date.now() - lastSent > 500) {
          lastSent = Date.now();
          expect(await onA.send(roomId, 'after the outage')).toMatchObject({ ok: true });
        }
        return false;
      });
      // Presence entries that expired during the outage are written again by the heartbeat.
      await eventually('b to see x on a again', async () => (await presenceIn(onB, roomId)).includes(x.agent.id));
    }, 90_000);
  }
});
