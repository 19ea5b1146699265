import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { createSecretBox } from '../../src/lib/secret-box.js';
import { freePort } from '../harness/cli.js';
import { addressedMessage } from '../harness/wake.js';
import { crashWhileHeld, startHoldingReceiver, type HoldingReceiver } from './holding-receiver.js';
import { reliabilityStore, SECRETS } from './processes.js';
import { seedWorld } from './world.js';

const SLEEPERS = 3;

/**
 * kill -9 of the server while wake calls are in flight (the receiver holds every request open), restart on
 * the same database: every pending wake is then delivered, answered 2xx exactly once per wake id, and no
 * message is covered by a second wake.
 */
describe('a server killed with SIGKILL with wake calls pending', { timeout: 300_000 }, () => {
  const store = reliabilityStore('crash-wake');
  let env: Record<string, string>;
  let port: number;
  let receiver: HoldingReceiver;
  const messageIds: string[] = [];

  beforeAll(async () => {
    receiver = await startHoldingReceiver('/wake');
    const url = receiver.url;

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
    await receiver.close();
    await store.remove();
  });

  it('delivers every pending wake after the restart, once per wake id, each message covered once', async () => {
    // Any duplicate (or a second wake for the same messages) has 3 s to show itself before the checks.
    await crashWhileHeld(receiver, { env, base: `http://127.0.0.1:${port}`, expected: SLEEPERS });

    const { held, answered } = receiver;
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
