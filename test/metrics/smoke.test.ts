import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { maintainMetricsPartitions } from '../../src/modules/metrics/metrics-maintenance.js';
import { createTestApp, type TestApp } from '../harness/app.js';

describe('metrics smoke', () => {
  let t: TestApp;
  let jwt: string;
  let agentId: string;
  beforeAll(async () => {
    t = await createTestApp();
    const { user } = await t.ctx.services.users.create({ email: 'o@example.com', name: 'O' });
    const { agent } = await t.ctx.services.agents.create(
      { name: 'a1', serverId: 'srv-1' },
      { actor: { kind: 'user', user: { ...user }, sessionId: 'x', teams: new Map() } },
    );
    agentId = agent.id;
    jwt = t.ctx.services.accessTokens.issue(
      { id: agent.id, name: agent.name, ownerId: user.id, teamId: null, serverId: 'srv-1', role: 'agent' },
      (await t.ctx.services.credentials.issueApiToken(agent, {}, {})).credential.id,
      [],
    ).token;
    await maintainMetricsPartitions(t.ctx);
  });
  afterAll(() => t.close());

  it('stores single and batched samples once each, gzip included', async () => {
    const now = Math.floor(Date.now() / 1000);
    const headers = { authorization: `Bearer ${jwt}` };
    const one = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers,
      payload: { server_id: 'srv-1', timestamp: now, metrics: { cpu: { usage: 10 } } },
    });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ status: 'success', message: 'Metrics received', accepted: 1 });
    const again = await t.app.inject({
      method: 'POST',
      url: '/metrics',
      headers,
      payload: { server_id: 'srv-1', timestamp: now, metrics: { cpu: { usage: 10 } } },
    });
    expect(again.statusCode).toBe(200);
    const samples = Array.from({ length: 5 }, (_, i) => ({
      timestamp: now - 60 * (i + 1),
      metrics: { cpu: { usage: 20 + i } },
    }));
    const batch = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: { ...headers, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify({ server_id: 'srv-1', samples })),
    });
    expect(batch.statusCode).toBe(200);
    const [row] = await queryRows<{ n: number }>(
      t.database.db,
      sql`select count(*)::int as n from metrics_data where agent_id = ${agentId}`,
    );
    expect(row!.n).toBe(6);
    const mismatch = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers,
      payload: { server_id: 'other', timestamp: now, metrics: {} },
    });
    expect(mismatch.statusCode).toBe(403);
    expect(mismatch.json()).toMatchObject({ error: 'server_id_mismatch', expected: 'srv-1', received: 'other' });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers,
      payload: {
        server_id: 'srv-1',
        samples: [
          { timestamp: now, metrics: { ok: 1 } },
          { timestamp: now - 1, metrics: { a: [1] } },
        ],
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('samples[1].metrics');
  });
});
