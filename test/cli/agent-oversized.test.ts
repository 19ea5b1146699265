import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/client/index.js';
import { Spool } from '../../src/cli/agent/spool.js';
import type { RouteModule } from '../../src/http/route-module.js';
import {
  agentCli,
  createOwner,
  linkWithCli,
  runSummary,
  spoolDepth,
  startRestartableServer,
  storedSnapshots,
  type RestartableServer,
} from '../harness/agent-cli.js';
import { makeTempDir } from '../harness/temp-dir.js';

/**
 * Issue 24, item 1, as the agent CLI sees it: a spooled batch the hub answers 413 is split in halves,
 * recursively, down to single snapshots; a single snapshot still too large is dropped with the reason logged.
 */
const INGEST_LIMIT = 32 * 1024;
const SPOOLED = 41;
/** The one snapshot that is too large on its own (10 strings of 4,000 characters: 40 KB). */
const HUGE_AT = 17;

/** Statuses of every metrics request the hub answered, in order. */
function metricsStatuses() {
  const statuses: number[] = [];
  const routes: RouteModule = (app) => {
    app.addHook('onResponse', async (request, reply) => {
      if (request.method === 'POST' && request.url === '/api/v1/metrics') statuses.push(reply.statusCode);
    });
  };
  return { routes, statuses };
}

function spooledSnapshots(): Sample[] {
  const start = Math.floor(Date.now() / 1000) - 3600;
  return Array.from({ length: SPOOLED }, (_, i) => ({
    timestamp: start + i,
    metrics:
      i === HUGE_AT
        ? Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`part${k}`, `${k}`.repeat(4000)]))
        : // ~3 KB each, hard to compress: about ten fit under the limit.
          {
            seq: i,
            note: Array.from({ length: 3000 }, (_, k) => String.fromCharCode(33 + ((k * 7919 + i) % 90))).join(''),
          },
  }));
}

describe('agenthub agent run and a spooled batch over the hub limit (command line)', { timeout: 120_000 }, () => {
  const dir = makeTempDir('agent-413');
  const seen = metricsStatuses();
  let server: RestartableServer;
  let agentId: string;

  beforeAll(async () => {
    server = await startRestartableServer({
      config: { DEVICE_POLL_INTERVAL: 1, INGEST_BODY_LIMIT_BYTES: INGEST_LIMIT },
      extraRoutes: [seen.routes],
    });
    const linked = await linkWithCli(server, await createOwner(server.app), dir.path, { serverId: 'srv-413' });
    if (linked.result.code !== 0 || !linked.agentId) throw new Error(`link failed: ${linked.result.stderr}`);
    agentId = linked.agentId;
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('splits the batch in halves until each part is taken, drops the one snapshot too large alone, and says why', async () => {
    const spool = new Spool(join(dir.path, 'spool'), 10_000);
    for (const sample of spooledSnapshots()) spool.append(sample);
    expect(spoolDepth(dir.path)).toBe(SPOOLED);

    const result = await agentCli(dir.path, ['run', '--once']);
    expect(result.code, result.stderr).toBe(0);
    const summary = runSummary(result.stdout);
    // The live snapshot of this tick joined the spool's batch: everything but the huge one is stored.
    expect(summary).toMatchObject({ collected: 1, rejected: 1, dropped: 0, spool_depth: 0 });
    const stored = await storedSnapshots(server.database, agentId);
    expect(stored).toEqual({ rows: SPOOLED, distinct: SPOOLED });
    expect(summary['sent']).toBe(SPOOLED);
    expect(result.stderr).toMatch(/the server refused a snapshot \(HTTP 413 payload_too_large: [^)]+\); dropped it/);
    expect(spoolDepth(dir.path)).toBe(0);

    // Halving, not one request per snapshot: 42 snapshots in about 2·log2(42) refusals and a dozen parts.
    expect(seen.statuses.filter((s) => s === 413).length).toBeGreaterThan(1);
    expect(seen.statuses.length).toBeLessThan(SPOOLED);
    expect(seen.statuses.filter((s) => s !== 413 && s !== 200)).toEqual([]);
  });
});
