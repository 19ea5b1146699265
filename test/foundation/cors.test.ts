import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { countMetricRows, createIngestingAgent, ingest, nowSeconds, type IngestingAgent } from '../harness/metrics.js';

const OWN_ORIGIN = 'http://localhost:3000'; // testConfig's PUBLIC_URL
const TRUSTED = 'https://console.example.com';
const FOREIGN = 'https://evil.example';

/** CORS answers only the origins the operator trusts, and never on ingestion, which only agents call. */
describe('CORS', () => {
  let t: TestApp;
  let admin: Person;
  let agent: IngestingAgent;

  beforeAll(async () => {
    t = await createTestApp({ config: { ALLOWED_ORIGINS: [TRUSTED] } });
    admin = await signInAdmin(t);
    agent = await createIngestingAgent(t, admin);
  });
  afterAll(() => t.close());

  it('lets a trusted origin read an API answer with credentials, and names Origin in Vary', async () => {
    for (const origin of [OWN_ORIGIN, TRUSTED]) {
      const res = await t.app.inject({ url: '/api/v1/agents', headers: { ...admin.headers, origin } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(String(res.headers['vary'])).toMatch(/origin/i);
    }
  });

  it('gives a foreign origin nothing to read with', async () => {
    const res = await t.app.inject({ url: '/api/v1/agents', headers: { ...admin.headers, origin: FOREIGN } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/agents',
      headers: { origin: FOREIGN, 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a trusted preflight with the methods the API uses', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/agents',
      headers: { origin: TRUSTED, 'access-control-request-method': 'PATCH' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(TRUSTED);
    expect(String(res.headers['access-control-allow-methods'])).toContain('PATCH');
  });

  it('is not offered on metrics ingestion, even to a trusted origin, while agents ingest as before', async () => {
    const before = await countMetricRows(t, agent.agent.id);
    const res = await ingest(
      t,
      agent.jwt,
      { server_id: agent.serverId, timestamp: nowSeconds(), metrics: { cpu: { usage: 1 } } },
      { origin: TRUSTED },
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(await countMetricRows(t, agent.agent.id)).toBe(before + 1);
  });
});
