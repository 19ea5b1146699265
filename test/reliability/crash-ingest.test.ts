import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetAgent } from '../../bench/lib/fleet.js';
import { queryRows } from '../../src/db/client.js';
import { freePort } from '../harness/cli.js';
import { postLineSample, postSample } from './load.js';
import { reliabilityStore, startServer } from './processes.js';
import { seedFleet } from './world.js';

const AGENTS = 5;
const LOAD_MS = Number(process.env['RELIABILITY_LOAD_MS'] ?? 3000);

/** The JSON route, and line protocol as Telegraf writes it (204 is its acknowledgement). */
const FORMATS = [
  { name: 'JSON', label: 'crash', post: postSample },
  { name: 'line protocol', label: 'crash-lp', post: postLineSample },
] as const;

/**
 * kill -9 during sustained ingestion from several agents, restart on the same
 * database, keep sending: every sample the server acknowledged with a 2xx is
 * stored, exactly once (retries of unacknowledged ones included).
 */
describe.each(FORMATS)('a server killed with SIGKILL during $name ingestion', { timeout: 300_000 }, (format) => {
  const store = reliabilityStore(format.label);
  let env: Record<string, string>;
  let fleet: FleetAgent[];
  let port: number;

  beforeAll(async () => {
    const database = await store.prepare();
    fleet = await seedFleet(database, AGENTS);
    await database.close();
    port = await freePort();
    env = store.serverEnv(port);
  });
  afterAll(async () => {
    await store.remove();
  });

  it('stores every acknowledged sample exactly once across the crash and the restart', async () => {
    const base = `http://127.0.0.1:${port}`;
    let server = await startServer(env, base);
    const acked = new Map<string, Set<number>>(fleet.map((a) => [a.agentId, new Set()]));
    const attempted = new Map<string, Set<number>>(fleet.map((a) => [a.agentId, new Set()]));
    let stop = false;
    let crashedAt = 0;

    // Each agent sends one snapshot after another, as the agent CLI does, retrying a failed one until acknowledged.
    const loops = fleet.map(async (agent, index) => {
      let ts = Math.floor(Date.now() / 1000) - 3600 + index * 0.0001;
      while (!stop) {
        attempted.get(agent.agentId)!.add(ts);
        const { status } = await format.post(base, agent, ts);
        if (status >= 200 && status < 300) {
          acked.get(agent.agentId)!.add(ts);
          ts += 1;
        } else await new Promise((r) => setTimeout(r, 50));
      }
    });

    await new Promise((r) => setTimeout(r, LOAD_MS));
    const ackedBeforeCrash = total(acked);
    server.child.kill('SIGKILL');
    crashedAt = Date.now();
    await server.exited();
    server = await startServer(env, base);
    const downMs = Date.now() - crashedAt;
    await new Promise((r) => setTimeout(r, LOAD_MS));
    stop = true;
    await Promise.all(loops);
    server.child.kill('SIGTERM');
    await server.exited();

    const database = await store.open();
    try {
      const rows = await queryRows<{ agent_id: string; t: number; n: number }>(
        database.db,
        sql`select agent_id, extract(epoch from ts)::float8 as t, count(*)::int as n from metrics_data group by 1, 2`,
      );
      const stored = new Map<string, Set<number>>(fleet.map((a) => [a.agentId, new Set()]));
      for (const row of rows) {
        expect(row.n, 'a sample stored twice').toBe(1);
        stored.get(row.agent_id)?.add(Math.round(row.t * 1000) / 1000);
      }
      let lost = 0;
      for (const agent of fleet) {
        for (const ts of acked.get(agent.agentId)!)
          if (!stored.get(agent.agentId)!.has(Math.round(ts * 1000) / 1000)) lost++;
        // Nothing stored that was never sent.
        for (const ts of stored.get(agent.agentId)!)
          expect([...attempted.get(agent.agentId)!].some((a) => Math.round(a * 1000) / 1000 === ts)).toBe(true);
      }
      console.info(
        `crash (${format.name}): ${total(acked)} samples acknowledged (${ackedBeforeCrash} before the kill), ${rows.length} stored, ` +
          `${lost} lost, server back after ${downMs} ms`,
      );
      expect(lost).toBe(0);
      expect(ackedBeforeCrash).toBeGreaterThan(0);
      expect(total(acked)).toBeGreaterThan(ackedBeforeCrash);
    } finally {
      await database.close();
    }
  });
});

function total(map: Map<string, Set<number>>): number {
  let n = 0;
  for (const set of map.values()) n += set.size;
  return n;
}
