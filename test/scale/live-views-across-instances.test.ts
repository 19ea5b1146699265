import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PING_MS } from '../../src/web/sse.js';
import { REDIS_URL, startFleet, type Fleet, type Instance } from '../harness/fleet.js';
import { createAgentWithToken, createUser, exchange, signInAdmin, type Person } from '../harness/identity.js';
import { closeAllMcp, connectMcp } from '../harness/mcp.js';
import { ingest, nowSeconds } from '../harness/metrics.js';
import { createRoom, createRoomAgent, postMessage } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, until } from '../harness/sockets.js';
import { openEventStream as openStream } from '../harness/sse.js';

/**
 * What people and MCP clients watch live on one instance follows what happens on another: room pages,
 * long-poll waits and the dashboard (which otherwise would only catch up at its next ping).
 */
describe.runIf(REDIS_URL)('live views across two instances', () => {
  let fleet: Fleet;
  let a: Instance;
  let b: Instance;
  let admin: Person;

  beforeAll(async () => {
    fleet = await startFleet(2);
    [a, b] = fleet.instances as [Instance, Instance];
    admin = await signInAdmin(a);
  });
  afterAll(async () => {
    closeAllSockets();
    await closeAllMcp();
    await fleet.close();
  });

  it("shows a person's room page on one instance the messages sent on the other, in order and once each", async () => {
    const room = await createRoom(a, admin);
    const x = await createRoomAgent(a, admin, { rooms: [room.id] });
    const stream = await openStream(`${b.url}/rooms/${room.id}/stream`, admin.headers.cookie);
    const onA = await connectAgent(a.url, x.jwt);

    for (let i = 1; i <= 5; i++) expect(await onA.send(room.id, `socket ${i}`)).toMatchObject({ ok: true });
    expect((await postMessage(a, admin, room.id, 'over REST on a')).statusCode).toBe(201);

    const messages = () => stream.events.filter((e) => e.event === 'message');
    await until('six messages on b', () => messages().length >= 6);
    expect(messages().map((e) => [Number(e.id), (JSON.parse(e.data) as { body: string }).body])).toEqual([
      [1, 'socket 1'],
      [2, 'socket 2'],
      [3, 'socket 3'],
      [4, 'socket 4'],
      [5, 'socket 5'],
      [6, 'over REST on a'],
    ]);
    // A socket on b receives each of them once (delivered by b itself, not also through the adapter).
    const y = await createRoomAgent(a, admin, { rooms: [room.id] });
    const onB = await connectAgent(b.url, y.jwt);
    expect(await onA.send(room.id, 'last')).toMatchObject({ ok: true });
    await until('the last message on b', () => messages().length === 7 && onB.received.length === 1);
    expect(await onB.send(room.id, 'from b')).toMatchObject({ ok: true });
    await until('the reply on a', () => onA.received.some((m) => m.body === 'from b'));
    expect(onB.received.map((m) => m.body)).toEqual(['last', 'from b']);
    expect(onA.received.filter((m) => m.body === 'from b')).toHaveLength(1);
    await stream.close();
  });

  it('wakes an MCP wait on one instance when a message is stored on the other', async () => {
    const room = await createRoom(a, admin);
    const x = await createRoomAgent(a, admin, { rooms: [room.id] });
    const waiter = await createRoomAgent(a, admin, { rooms: [room.id] });
    const mcp = await connectMcp(b.url, waiter.jwt);
    // A wait shorter than the waits' periodic re-read of the database: only the event can end it with a message.
    const waiting = mcp.ok<{ messages: { body: string }[]; timed_out: boolean }>('wait_for_messages', {
      room: room.id,
      since_seq: 0,
      timeout_seconds: 3,
    });
    const onA = await connectAgent(a.url, x.jwt);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the wait is pending on b
    expect(await onA.send(room.id, 'wake up over there')).toMatchObject({ ok: true });
    const result = await waiting;
    expect(result.timed_out).toBe(false);
    expect(result.messages.map((m) => m.body)).toEqual(['wake up over there']);
  });

  it("updates a person's dashboard on one instance when their agent is linked or reports on the other", async () => {
    const owner = await createUser(a, admin, { name: 'Watcher', plan: 'enterprise' });
    const stranger = await createUser(a, admin, { name: 'Stranger', plan: 'enterprise' });
    const stream = await openStream(`${b.url}/events`, owner.headers.cookie);
    const theirs = await openStream(`${b.url}/events`, stranger.headers.cookie);
    const latest = (s: typeof stream) => {
      const last = s.events.filter((e) => e.event === 'agents').at(-1);
      return last ? (JSON.parse(last.data) as { agents: { id: string; online: boolean }[] }).agents : undefined;
    };
    await until('the first list', () => latest(stream)?.length === 0);

    // Before any ping could re-read the list: only the fanned-out events can bring these.
    const beforePing = PING_MS / 2;
    const agent = await createAgentWithToken(a, admin, { owner, serverId: 'srv-live-across' });
    await until('the new agent on b', () => latest(stream)?.some((x) => x.id === agent.agent.id), beforePing);
    expect(latest(stream)?.find((x) => x.id === agent.agent.id)?.online).toBe(false);

    const jwt = await exchange(a, agent.token);
    const res = await ingest(a, jwt, { server_id: 'srv-live-across', timestamp: nowSeconds(), metrics: { cpu: 1 } });
    expect(res.statusCode).toBe(200);
    await until(
      'the agent online on b',
      () => latest(stream)?.find((x) => x.id === agent.agent.id)?.online,
      beforePing,
    );
    // Another person's dashboard never lists it.
    expect(latest(theirs)).toEqual([]);
    await Promise.all([stream.close(), theirs.close()]);
  });
});
