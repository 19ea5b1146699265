import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient, type Message, type RealtimeClient } from '../../src/client/index.js';
import { REDIS_URL, startBalancer, startFleet, type Balancer, type Fleet, type Instance } from '../harness/fleet.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, scrape, storedSeqs, type RoomAgent } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, oneTo, until } from '../harness/sockets.js';

describe.runIf(REDIS_URL)('an instance dies', () => {
  let fleet: Fleet;
  let a: Instance;
  let b: Instance;
  let balancer: Balancer;
  let admin: Person;
  const realtime: RealtimeClient[] = [];

  beforeAll(async () => {
    fleet = await startFleet(2);
    [a, b] = fleet.instances as [Instance, Instance];
    balancer = await startBalancer([a, b]);
    admin = await signInAdmin(b);
  });
  afterAll(async () => {
    for (const client of realtime) client.close();
    closeAllSockets();
    await balancer.close();
    await fleet.close();
  });

  /** The SDK's realtime client, through the balancer, recording what it delivers. */
  async function sdkAgent(agent: RoomAgent): Promise<{ client: RealtimeClient; delivered: Message[] }> {
    const sdk = new AgentHubClient({ server: balancer.url, credentials: { kind: 'api-token', apiToken: agent.token } });
    const client = sdk.realtime();
    realtime.push(client);
    const delivered: Message[] = [];
    client.on('message', (message) => delivered.push(message));
    await client.connect();
    return { client, delivered };
  }

  it('moves its agents to the other instance without losing a message anyone was told was stored', async () => {
    const room = await createRoom(b, admin);
    const agents = await Promise.all(oneTo(4).map(() => createRoomAgent(b, admin, { rooms: [room.id] })));
    const [movingSender, movingReceiver, stayingSender, stayingReceiver] = agents as [
      RoomAgent,
      RoomAgent,
      RoomAgent,
      RoomAgent,
    ];
    // Through the balancer, both land on a; the other two are on b throughout.
    const sender = await sdkAgent(movingSender);
    const receiver = await sdkAgent(movingReceiver);
    const onB = await connectAgent(b.url, stayingSender.jwt);
    const watcher = await connectAgent(b.url, stayingReceiver.jwt);
    expect((await scrape(a, 'agenthub_agents_connected')).get('')).toBe(2);

    const acked: number[] = [];
    const sendOnB = async (body: string) => {
      const ack = await onB.send(room.id, body);
      if (!ack.ok) throw new Error(`send refused: ${ack.error}`);
      acked.push((ack['message'] as Message).seq);
    };
    for (const i of oneTo(5)) {
      acked.push((await sender.client.send(room.id, `before ${i} via a`)).seq);
      await sendOnB(`before ${i} via b`);
    }
    await until('the receiver on a has everything so far', () => receiver.delivered.length === acked.length);

    // The balancer's health check takes a out, then a dies; meanwhile b keeps taking messages.
    balancer.route([b]);
    const dying = a.kill();
    for (const i of oneTo(5)) await sendOnB(`while a dies ${i}`);
    await dying;
    // The moved sender's next sends wait for its reconnection (to b), then are confirmed.
    for (const i of oneTo(5)) acked.push((await sender.client.send(room.id, `after ${i} via the moved sender`)).seq);

    const all = [...acked].sort((x, y) => x - y);
    expect(all).toEqual(oneTo(20));
    expect(await storedSeqs(b, room.id)).toEqual(all);
    await until('the moved receiver caught up', () => receiver.delivered.length >= all.length, 30_000);
    expect(receiver.delivered.map((m) => m.seq)).toEqual(all);
    await until('the watcher on b has everything', () => watcher.received.length >= all.length, 30_000);
    expect(watcher.received.map((m) => m.seq)).toEqual(all);
    expect((await scrape(b, 'agenthub_agents_connected')).get('')).toBe(4);
  }, 90_000);
});
