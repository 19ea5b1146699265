import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteModule } from '../../src/http/route-module.js';
import {
  createOwner,
  linkWithCli,
  runSummary,
  spawnAgentCli,
  spoolDepth,
  startRestartableServer,
  storedSnapshots,
  waitFor,
  type RestartableServer,
} from '../harness/agent-cli.js';
import { makeTempDir } from '../harness/temp-dir.js';

/**
 * While switched on, every metrics request is processed and committed as usual
 * but answered 503 with Retry-After, as when a response is lost to an overload:
 * the hardest case for "nothing lost, nothing duplicated", since the agent
 * must spool and replay snapshots the server already holds.
 */
function answer503AfterCommit() {
  let on = false;
  let answered = 0;
  const routes: RouteModule = (app) => {
    app.addHook('onSend', async (request, reply, payload) => {
      if (!on || request.method !== 'POST' || request.url !== '/api/v1/metrics' || reply.statusCode !== 200)
        return payload;
      answered += 1;
      reply.code(503).header('retry-after', '1');
      return JSON.stringify({ error: 'unavailable', message: 'Ingestion is saturated; retry shortly.' });
    });
  };
  return {
    routes,
    set: (value: boolean) => (on = value),
    get answered() {
      return answered;
    },
  };
}

// Each case starts real CLI processes (tsx transpiles them): allow for a busy machine.
describe('agenthub agent run while the server answers 503 (command line)', { timeout: 120_000 }, () => {
  const dir = makeTempDir('agent-503');
  const overload = answer503AfterCommit();
  let server: RestartableServer;
  let agentId: string;

  beforeAll(async () => {
    server = await startRestartableServer({ config: { DEVICE_POLL_INTERVAL: 1 }, extraRoutes: [overload.routes] });
    const linked = await linkWithCli(server, await createOwner(server.app), dir.path, { serverId: 'srv-503' });
    if (linked.result.code !== 0 || !linked.agentId) throw new Error(`link failed: ${linked.result.stderr}`);
    agentId = linked.agentId;
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('spools what the server answers 503 to, replays it, and every snapshot is stored exactly once', async () => {
    const run = spawnAgentCli(dir.path, ['run', '--interval', '0.3']);
    await waitFor(async () => (await storedSnapshots(server.database, agentId)).rows >= 1, 'a first snapshot');

    overload.set(true);
    await waitFor(() => /server unavailable \(HTTP 503 unavailable/.test(run.stderr), 'the CLI to notice the 503s');
    await waitFor(() => spoolDepth(dir.path) >= 2, 'two spooled snapshots');
    overload.set(false);
    const back = await run.waitForLine(/^server back, replayed \d+ snapshots/, 60_000);

    run.child.kill('SIGTERM');
    const result = await run.exited(60_000);
    expect(result.code, result.stderr).toBe(0);
    const summary = runSummary(result.stdout);
    expect(summary).toMatchObject({ dropped: 0, rejected: 0, spool_depth: 0 });
    expect(Number(/replayed (\d+)/.exec(back)?.[1])).toBeGreaterThanOrEqual(2);
    expect(overload.answered).toBeGreaterThanOrEqual(2);
    // The server already held the snapshots it answered 503 to: the replays were de-duplicated.
    const stored = await storedSnapshots(server.database, agentId);
    expect(stored.rows).toBe(summary['collected']);
    expect(stored.distinct).toBe(stored.rows);
    expect(result.stderr.match(/server unavailable/g)).toHaveLength(1);
  });
});
