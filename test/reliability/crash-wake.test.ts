import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { createSecretBox } from '../../src/lib/secret-box.js';
import { freePort } from '../harness/cli.js';
import { addressedMessage } from '../harness/wake.js';
import { reliabilityStore, SECRETS, startServer } from './processes.js';
import { seedWorld } from './world.js';

const SLEEPERS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * kill -9 of the server while wake calls are in flight (the receiver holds every request open), restart on
 * the same database: every pending wake is then delivered, answered 2xx exactly once per wake id, and no
 * message is covered by a second wake.
 */
describe('a server killed with SIGKILL with wake calls pending', { timeout: 300_000 }, () => {
  const store = reliabilityStore('crash-wake');
  let env: Record<string, string>;
  let port: number;
  let receiver: Server;
  let holding = true;
  const held: string[] = [];
  const answered = new Map<string, number>();
  const messageIds: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const key = String(req.headers['x-agenthub-delivery']);
      req.resume();
      req.on('end', () => {
        if (holding) {
          held.push(key);
          return; // never answered: the sender's timeout or the crash ends it
        }
        answered.set(key, (answered.get(key) ?? 0) + 1);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/wake`;

    const database = await store.prepare();
    const world = await seedWorld(database, { label: 'crash-wake', talkers: SLEEPERS + 1 });
    const agents = await queryRows<{ id: string }>(
      database.db,
      sql`select a.id from agents a join room_members m on m.agent_id = a.id where m.room_id = ${world.roomId}
          order by a.name`,
    );
    const [sender, ...sleepers] = agents.map((a) => a.id);
    // Hooks sealed under the server's key, as the registration route stores them.
    const box = createSecretBox(SECRETS.COOKIE_SECRET, 'agent-wake-hook-secrets');
    for (const agentId of sleepers)
      await database.db.execute(
        sql`insert into agent_wake_hooks (agent_id, url, secret_enc, coalesce_seconds, created_at)
            values (${agentId}, ${url}, ${box.seal(`whsec_crash_${agentId}`)}, 0, now() - interval '1 minute')`,
      );
    for (const agentId of sleepers)
      messageIds.push(
        (
          await addressedMessage(
            { database },
            { roomId: world.roomId, senderAgentId: sender ?? '', recipientAgentId: agentId },
          )
        ).id,
      );
    await database.close();
    port = await freePort();
    env = {
      ...store.serverEnv(port),
      WAKE_GRACE_MS: '200',
      WAKE_DELIVERY_TIMEOUT_MS: '1000',
      WAKE_HOOK_ALLOW_PRIVATE: 'true',
    };
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await store.remove();
  });

  it('delivers every pending wake after the restart, once per wake id, each message covered once', async () => {
    const base = `http://127.0.0.1:${port}`;
    let server = await startServer(env, base);
    const deadline = Date.now() + 30_000;
    while (new Set(held).size < SLEEPERS && Date.now() < deadline) await sleep(100);
    expect(new Set(held).size).toBe(SLEEPERS);

    server.child.kill('SIGKILL');
    await server.exited();
    holding = false;
    server = await startServer(env, base);
    const until = Date.now() + 60_000;
    while (answered.size < SLEEPERS && Date.now() < until) await sleep(200);
    // Let any duplicate (or a second wake for the same messages) show itself before looking.
    await sleep(3000);
    server.child.kill('SIGTERM');
    await server.exited();

    expect([...answered.keys()].sort()).toEqual([...new Set(held)].sort());
    for (const [key, count] of answered) expect(count, `answered 2xx more than once: ${key}`).toBe(1);
    const database = await store.open();
    try {
      const outbox = await queryRows<{ id: string; status: string }>(
        database.db,
        sql`select id, status from wake_outbox order by id`,
      );
      expect(outbox.map((o) => o.status)).toEqual(Array<string>(SLEEPERS).fill('delivered'));
      expect(outbox.map((o) => o.id).sort()).toEqual([...answered.keys()].sort());
      const covered = await queryRows<{ wake_id: string | null }>(
        database.db,
        sql`select wake_id from message_recipients where message_id in (${sql.join(
          messageIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`,
      );
      expect(covered.map((c) => c.wake_id).sort()).toEqual([...answered.keys()].sort());
    } finally {
      await database.close();
    }
  });
});
