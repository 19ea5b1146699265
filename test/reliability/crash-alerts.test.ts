import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetAgent } from '../../bench/lib/fleet.js';
import { queryRows } from '../../src/db/client.js';
import { freePort } from '../harness/cli.js';
import { postSample } from './load.js';
import { crashWhileHeld, startHoldingReceiver, type HoldingReceiver } from './holding-receiver.js';
import { reliabilityStore } from './processes.js';
import { seedFleet } from './world.js';

const AGENTS = 5;

/**
 * kill -9 of the server while notifications are being delivered (the receiver holds every request open),
 * restart on the same database: every notification is then delivered, and answered 2xx exactly once per
 * idempotency key.
 */
describe('a server killed with SIGKILL with deliveries pending', { timeout: 300_000 }, () => {
  const store = reliabilityStore('crash-alerts');
  let env: Record<string, string>;
  let fleet: FleetAgent[];
  let port: number;
  let receiver: HoldingReceiver;

  beforeAll(async () => {
    receiver = await startHoldingReceiver('/hook');
    const receiverUrl = receiver.url;

    const database = await store.prepare();
    fleet = await seedFleet(database, AGENTS);
    const [owner] = await queryRows<{ owner_id: string }>(
      database.db,
      sql`select owner_id from agents where id = ${fleet[0]?.agentId ?? ''}::uuid`,
    );
    const [channel] = await queryRows<{ id: string }>(
      database.db,
      sql`insert into notification_channels (owner_id, name, kind, preset, target)
          values (${owner?.owner_id ?? ''}::uuid, 'crash hook', 'webhook', 'generic', ${JSON.stringify({ url: receiverUrl })}::jsonb)
          returning id`,
    );
    await database.db.execute(
      sql`insert into alert_rules (owner_id, name, kind, path, comparison, threshold, for_seconds, severity, channel_ids)
          values (${owner?.owner_id ?? ''}::uuid, 'cpu any', 'metric_threshold', 'cpu.usage', '>=', 0, 0, 'critical',
                  ${JSON.stringify([channel?.id])}::jsonb)`,
    );
    await database.close();
    port = await freePort();
    env = {
      ...store.serverEnv(port),
      ALERT_EVAL_INTERVAL: '1s',
      ALERT_DELIVERY_TIMEOUT_MS: '1000',
      ALERT_WEBHOOK_ALLOW_PRIVATE: 'true',
    };
  });
  afterAll(async () => {
    await receiver.close();
    await store.remove();
  });

  it('delivers every notification after the restart, once per idempotency key', async () => {
    const base = `http://127.0.0.1:${port}`;
    await crashWhileHeld(receiver, {
      env,
      base,
      expected: AGENTS,
      // The rule fires for every agent; the sender takes the rows and the receiver holds them.
      whileUp: async () => {
        const now = Math.floor(Date.now() / 1000);
        for (const agent of fleet) expect((await postSample(base, agent, now)).status).toBe(200);
      },
    });

    const { held, answered } = receiver;
    expect([...answered.keys()].sort()).toEqual([...new Set(held)].sort());
    for (const [key, count] of answered) expect(count, `answered 2xx more than once: ${key}`).toBe(1);
    const database = await store.open();
    try {
      const rows = await queryRows<{ status: string; n: number }>(
        database.db,
        sql`select status, count(*)::int as n from notification_outbox group by status`,
      );
      expect(rows).toEqual([{ status: 'delivered', n: AGENTS }]);
    } finally {
      await database.close();
    }
  });
});
