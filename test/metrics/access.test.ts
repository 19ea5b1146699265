import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_CACHE_MS } from '../../src/identity/credentials.service.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { bearer, createUser, signInAdmin, type Person } from '../harness/identity.js';
import { countMetricRows, createIngestingAgent, ingest, nowSeconds, type IngestingAgent } from '../harness/metrics.js';

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

describe('who may ingest and who may read metrics', () => {
  let t: TestApp;
  let admin: Person;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let aliceAgent: IngestingAgent;
  let bobAgent: IngestingAgent;
  let teamAgent: IngestingAgent;
  let teamId: string;

  const get = (who: Person | undefined, url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ url, headers: { ...(who?.headers ?? {}), ...headers } });
  const series = (agentId: string) => `/api/v1/agents/${agentId}/metrics/series?path=cpu.usage&step=60`;
  const snapshot = (a: IngestingAgent, usage: number) => ({
    server_id: a.serverId,
    timestamp: nowSeconds() - usage,
    metrics: { cpu: { usage } },
  });

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    alice = await createUser(t, admin, { name: 'Alice' });
    bob = await createUser(t, admin, { name: 'Bob' });
    carol = await createUser(t, admin, { name: 'Carol' });
    // Alice and Bob each have an agent called srv-shared: server_id is unique per owner only.
    aliceAgent = await createIngestingAgent(t, admin, { owner: alice, serverId: 'srv-shared' });
    bobAgent = await createIngestingAgent(t, admin, { owner: bob, serverId: 'srv-shared' });
    const team = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: alice.headers,
      payload: { name: 'Ops' },
    });
    teamId = team.json<{ team: { id: string } }>().team.id;
    const member = await t.app.inject({
      method: 'POST',
      url: `/api/v1/teams/${teamId}/members`,
      headers: alice.headers,
      payload: { email: carol.email, role: 'member' },
    });
    expect(member.statusCode).toBe(201);
    teamAgent = await createIngestingAgent(t, admin, { owner: alice, teamId, serverId: 'srv-team' });
    for (const [a, usage] of [
      [aliceAgent, 11],
      [bobAgent, 22],
      [teamAgent, 33],
    ] as const) {
      expect((await ingest(t, a.jwt, snapshot(a, usage))).statusCode).toBe(200);
    }
  });
  afterAll(() => t.close());

  describe('ingestion', () => {
    async function refused(headers: Record<string, string>, a = aliceAgent) {
      const before = await countMetricRows(t, a.agent.id);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/metrics',
        headers,
        payload: snapshot(a, 1),
      });
      expect(res.statusCode).toBe(401);
      expect(await countMetricRows(t, a.agent.id)).toBe(before);
      return res.json<{ error: string }>();
    }

    it('refuses a request without a token with 401', async () => {
      expect(await refused({})).toMatchObject({ error: 'unauthorized' });
    });

    it('refuses garbage, forged and expired access tokens with 401', async () => {
      await refused(bearer('garbage'));
      await refused({ authorization: 'Basic dXNlcjpwYXNz' });
      const claims = claimsOf(aliceAgent.jwt);
      const forged = jwt.sign({ ...claims, jti: randomUUID() }, 'an-attacker-chosen-key-0123456789abcdef', {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'at+jwt' },
      });
      await refused(bearer(forged));
      const now = nowSeconds();
      const expired = jwt.sign({ ...claims, iat: now - 1000, exp: now - 10 }, t.config.jwtSecret, {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'at+jwt' },
      });
      expect(await refused(bearer(expired))).toMatchObject({ error: 'token_expired' });
    });

    it('refuses the API token itself (it must be exchanged first) and a person’s session with 401', async () => {
      await refused(bearer(aliceAgent.token));
      await refused(alice.headers);
    });

    it("refuses a deactivated agent's access token at once on the instance that deactivated it, and within REVOCATION_CACHE_MS on another", async () => {
      const doomed = await createIngestingAgent(t, admin, { owner: alice });
      const elsewhere = await createTestApp({ database: t.database });
      try {
        // The other instance has just seen the token valid, so it holds it in its cache.
        expect((await ingest(elsewhere, doomed.jwt, snapshot(doomed, 1))).statusCode).toBe(200);
        const off = await t.app.inject({
          method: 'POST',
          url: `/api/v1/agents/${doomed.agent.id}/deactivate`,
          headers: alice.headers,
        });
        expect(off.statusCode).toBe(200);
        expect((await ingest(t, doomed.jwt, snapshot(doomed, 2))).statusCode).toBe(401);
        await new Promise((resolve) => setTimeout(resolve, REVOCATION_CACHE_MS + 50));
        expect((await ingest(elsewhere, doomed.jwt, snapshot(doomed, 3))).statusCode).toBe(401);
        expect(await countMetricRows(t, doomed.agent.id)).toBe(1);
      } finally {
        await elsewhere.close();
      }
    });
  });

  describe('reading', () => {
    type Latest = { metrics: { agent_id: string; metrics_data: { cpu: { usage: number } } }[] };

    it('shows people their own agent under a server_id another person also uses, and only theirs', async () => {
      const mine = await get(alice, '/api/v1/metrics/srv-shared');
      expect(mine.statusCode).toBe(200);
      expect(mine.json<Latest>().metrics.map((m) => [m.agent_id, m.metrics_data.cpu.usage])).toEqual([
        [aliceAgent.agent.id, 11],
      ]);
      const his = await get(bob, '/api/v1/metrics/srv-shared');
      expect(his.json<Latest>().metrics.map((m) => [m.agent_id, m.metrics_data.cpu.usage])).toEqual([
        [bobAgent.agent.id, 22],
      ]);
    });

    it("answers 404 to another person's server_id and agent series, exactly as for unknown ones", async () => {
      for (const url of [
        '/api/v1/metrics/srv-team',
        '/api/v1/metrics/srv-nobody',
        series(aliceAgent.agent.id),
        series(teamAgent.agent.id),
        series(randomUUID()),
      ]) {
        const res = await get(bob, url);
        expect(res.statusCode, url).toBe(404);
        expect(res.json(), url).toMatchObject({ error: 'not_found' });
        expect(res.body, url).not.toContain('"usage"');
      }
    });

    it("lets a team member read a team agent's snapshots and series, but not the owner's other agents", async () => {
      const latest = await get(carol, '/api/v1/metrics/srv-team');
      expect(latest.statusCode).toBe(200);
      expect(latest.json<Latest>().metrics.map((m) => m.metrics_data.cpu.usage)).toEqual([33]);
      const points = await get(carol, series(teamAgent.agent.id));
      expect(points.statusCode).toBe(200);
      expect(points.json()).toMatchObject({ path: 'cpu.usage', points: [{ avg: 33, min: 33, max: 33, count: 1 }] });
      expect((await get(carol, '/api/v1/metrics/srv-shared')).statusCode).toBe(404);
      expect((await get(carol, series(aliceAgent.agent.id))).statusCode).toBe(404);
    });

    it('lets the owner read the team agent too', async () => {
      expect((await get(alice, '/api/v1/metrics/srv-team')).statusCode).toBe(200);
      expect((await get(alice, series(teamAgent.agent.id))).statusCode).toBe(200);
    });

    it('refuses the people endpoints to an agent access token and to anonymous callers with 401', async () => {
      for (const url of ['/api/v1/metrics/srv-shared', series(aliceAgent.agent.id), '/api/v1/agents']) {
        const asAgent = await get(undefined, url, bearer(aliceAgent.jwt));
        expect(asAgent.statusCode, url).toBe(401);
        expect(asAgent.body, url).not.toContain('"usage"');
        expect((await get(undefined, url)).statusCode, url).toBe(401);
      }
    });
  });
});
