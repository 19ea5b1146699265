// A fleet coming back after an outage: every agent replays the snapshots it spooled, one spool segment per
// request, with the SDK the agent itself uses (AgentHubClient.sendMetrics: gzip above 8 KB, retries).
import { AgentHubClient } from '../../src/client/client.js';
import type { MetricsSnapshot, Sample } from '../../src/client/types.js';
import { snapshot, type FleetAgent } from './fleet.js';
import { clock } from './ingest-bodies.js';

/** The agent's spool segment: a replay sends this many samples per request (src/cli/agent/spool.ts). */
export const SPOOL_SEGMENT = 100;

export interface ReplayResult {
  samples: number;
  seconds: number;
  samplesPerSecond: number;
  requests: number;
}

/** Each agent of `fleet` replays `perAgent` spooled samples, its segments one after another, all agents at once. */
export async function replaySpools(serverUrl: string, fleet: FleetAgent[], perAgent: number, slot: number) {
  const next = clock(slot);
  const spools = fleet.map(() =>
    Array.from({ length: perAgent }, (_, s): Sample => ({
      timestamp: next(),
      metrics: snapshot(s) as MetricsSnapshot,
    })),
  );
  const clients = fleet.map(
    (a) =>
      new AgentHubClient({
        server: serverUrl,
        credentials: { kind: 'api-token', apiToken: 'agt_unused_in_this_bench' },
        tokens: { accessToken: a.jwt, expiresAt: Date.now() + 10 * 60_000 },
      }),
  );
  let requests = 0;
  const started = performance.now();
  await Promise.all(
    fleet.map(async (agent, k) => {
      const spool = spools[k]!;
      for (let from = 0; from < spool.length; from += SPOOL_SEGMENT) {
        await clients[k]!.sendMetrics(agent.serverId, spool.slice(from, from + SPOOL_SEGMENT));
        requests++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const samples = fleet.length * perAgent;
  return { samples, seconds, samplesPerSecond: samples / seconds, requests } satisfies ReplayResult;
}
