import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient } from '../../src/client/index.js';
import { freePort } from '../harness/cli.js';
import { reliabilityStore, startServer, type ServerProcess } from './processes.js';
import { seedWorld } from './world.js';

interface Inbox {
  items: { message: { id: string; body: string }; reason: string; delivered_at: string | null }[];
  pending: number;
}

/**
 * The acceptance scenario with real processes: two agents; one is mentioned while disconnected (and
 * once while connected), the server is killed with SIGKILL and restarted on the same database, and the
 * agent, reconnecting, finds exactly its unacknowledged messages in its inbox, once each; acknowledged, they
 * are gone.
 */
describe('the inbox across a server killed with SIGKILL', { timeout: 300_000 }, () => {
  const store = reliabilityStore('crashinbox');
  let env: Record<string, string>;
  let tokens: string[] = [];
  let roomId: string;
  let port: number;

  beforeAll(async () => {
    const database = await store.prepare();
    const world = await seedWorld(database, { label: 'inbox', talkers: 2 });
    roomId = world.roomId;
    tokens = world.tokens;
    await database.close();
    port = await freePort();
    env = store.serverEnv(port);
  });
  afterAll(async () => {
    await store.remove();
  });

  it('finds the message addressed to it while it was away in its inbox exactly once, and acks it away', async () => {
    const base = `http://127.0.0.1:${port}`;
    const [senderToken, sleeperToken] = tokens as [string, string];
    const sender = new AgentHubClient({ server: base, credentials: { kind: 'api-token', apiToken: senderToken } });
    const sleeper = new AgentHubClient({ server: base, credentials: { kind: 'api-token', apiToken: sleeperToken } });
    const post = (body: string) =>
      sender.call<{ message: { id: string } }>({
        method: 'POST',
        path: `/api/v1/rooms/${roomId}/messages`,
        json: { body },
        retry: false,
      });
    const inbox = () => sleeper.call<Inbox>({ path: '/api/v1/inbox' });

    let server: ServerProcess = await startServer(env, base);
    try {
      // Connected: the message reaches its socket (delivered), but it does not acknowledge it.
      const live = sleeper.realtime();
      await live.connect();
      const whileHere = await post('@talker-1 while you are here');
      const deadline = Date.now() + 15_000;
      while ((await inbox()).items[0]?.delivered_at == null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      live.close();
      // Away: mentioned while no socket of its own is connected, then the server dies.
      const whileAway = await post('@talker-1 while you are away');
      await post('no one in particular');
      server.child.kill('SIGKILL');
      await server.exited();
      server = await startServer(env, base);

      const back = sleeper.realtime();
      await back.connect();
      const first = await inbox();
      expect(first.items.map((i) => [i.message.id, i.reason])).toEqual([
        [whileHere.message.id, 'mention'],
        [whileAway.message.id, 'mention'],
      ]);
      expect(first.items[0]?.delivered_at).toEqual(expect.any(String));
      expect(first.items[1]?.delivered_at).toBeNull();
      expect(first.pending).toBe(2);
      // Reading again gives the same two, once each: nothing is consumed by reading.
      expect((await inbox()).items.map((i) => i.message.id)).toEqual(first.items.map((i) => i.message.id));

      const acked = await sleeper.call<{ acknowledged: string[]; unknown: string[] }>({
        method: 'POST',
        path: '/api/v1/inbox/ack',
        json: { message_ids: [whileAway.message.id, whileHere.message.id] },
      });
      expect(acked).toEqual({ acknowledged: [whileAway.message.id, whileHere.message.id], unknown: [] });
      expect(await inbox()).toEqual({ items: [], next_cursor: null, pending: 0 });
      back.close();

      // And after one more kill, the acknowledgement holds.
      server.child.kill('SIGKILL');
      await server.exited();
      server = await startServer(env, base);
      expect((await inbox()).items).toEqual([]);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited();
    }
  });
});
