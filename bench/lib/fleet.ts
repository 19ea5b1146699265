import pino from 'pino';
import type { Config } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { AppEventBus } from '../../src/lib/events.js';
import type { UserActor } from '../../src/identity/actor.model.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createServices } from '../../src/services.js';

export interface FleetAgent {
  agentId: string;
  serverId: string;
  jwt: string;
}

/** The app's services on a bench database, outside any server (silent, their own event bus and metrics). */
export function benchServices(database: Database, config: Config) {
  return createServices({
    config,
    db: database.db,
    embedded: database.kind === 'pglite',
    log: pino({ level: 'silent' }),
    events: new AppEventBus(),
    metrics: createMetrics(),
  });
}

/** One owner with `size` linked agents, each with a credential and an access JWT. */
export async function createFleet(database: Database, config: Config, size: number): Promise<FleetAgent[]> {
  const services = benchServices(database, config);
  const { user } = await services.users.create({
    email: `bench-${Date.now()}@example.com`,
    name: 'Bench',
    plan: 'enterprise',
  });
  const actor: UserActor = {
    kind: 'user',
    user: { id: user.id, email: user.email, name: user.name, role: 'admin', plan: 'enterprise' },
    sessionId: 'bench',
    teams: new Map(),
  };
  const fleet: FleetAgent[] = [];
  for (let i = 0; i < size; i++) {
    const serverId = `bench-srv-${i}`;
    const { agent } = await services.agents.create({ name: `bench-${i}`, serverId }, { actor });
    const { credential } = await services.credentials.issueApiToken(agent, {}, { actor });
    const jwt = services.accessTokens.issue(
      { id: agent.id, name: agent.name, ownerId: user.id, teamId: null, serverId, role: 'agent' },
      credential.id,
      [],
    ).token;
    fleet.push({ agentId: agent.id, serverId, jwt });
  }
  return fleet;
}

/** A realistic 0.3–1 KB monitoring snapshot. */
export function snapshot(i: number): Record<string, unknown> {
  return {
    cpu: { usage: (i * 7) % 100, load1: 0.42, load5: 0.38, load15: 0.31, cores: 8 },
    memory: { total: 17_179_869_184, used: 8_589_934_592 + (i % 1000), free: 8_589_934_592, swap_used: 0 },
    disks: {
      root: { total: 512_110_190_592, used: 201_326_592_000, percent: 39.3 },
      data: { total: 2_000_398_934_016, used: 1_200_000_000_000, percent: 60.0 },
    },
    network: { eth0: { rx_bytes: 123_456_789 + i, tx_bytes: 98_765_432 + i, rx_errors: 0, tx_errors: 0 } },
    uptime: 864_000 + i,
    processes: 312,
    hostname: 'bench-host.lan',
    agent_version: '0.1.0',
  };
}
