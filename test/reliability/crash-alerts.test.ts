import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetAgent } from '../../bench/lib/fleet.js';
import { queryRows } from '../../src/db/client.js';
import { freePort } from '../harness/cli.js';
import { postSample } from './load.js';
import { reliabilityStore, startServer } from './processes.js';
import { seedFleet } from './world.js';

const AGENTS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  let receiver: Server;
  let receiverUrl: string;
  /** Until the crash, the receiver holds every request open and answers nothing. */
  let holding = true;
  const held: string[] = [];
  const answered = new Map<string, number>();

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
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

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
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await store.remove();
  });

  it('delivers every notification after the restart, once per idempotency key', async () => {
    const base = `http://127.0.0.1:${port}`;
    let server = await startServer(env, base);
    const now = Math.floor(Date.now() / 1000);
    for (const agent of fleet) expect((await postSample(base, agent, now)).status).toBe(200);
    // The rule fires for every agent; the sender takes the rows and the receiver holds them.
    const deadline = Date.now() + 30_000;
    while (new Set(held).size < AGENTS && Date.now() < deadline) await sleep(100);
    expect(new Set(held).size).toBe(AGENTS);

    server.child.kill('SIGKILL');
    await server.exited();
    holding = false;
    server = await startServer(env, base);
    const until = Date.now() + 60_000;
    while (answered.size < AGENTS && Date.now() < until) await sleep(200);
    // Let any duplicate show itself before looking.
    await sleep(3000);
    server.child.kill('SIGTERM');
    await server.exited();

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
