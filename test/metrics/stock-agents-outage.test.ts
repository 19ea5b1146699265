import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import { bearer, signInAdmin } from '../harness/identity.js';
import { createIngestingAgent, nowSeconds, type IngestingAgent } from '../harness/metrics.js';
import { createPostgresCopy } from '../harness/postgres-copy.js';
import { gaugeSeries, otlpJsonBody, remoteWriteBody } from '../harness/stock-formats.js';

const postgresUrl = process.env['TEST_DATABASE_URL'];

/** Every stock-agent format, with the database gone: 503 + Retry-After in the format's own shape, never a 4xx. */
describe('stock-agent ingestion once the database is closed', () => {
  let database: Database;
  let drop: () => Promise<void> = () => Promise.resolve();
  let t: TestApp;
  let agent: IngestingAgent;

  beforeAll(async () => {
    if (postgresUrl) {
      const copy = await createPostgresCopy(postgresUrl);
      database = await openDatabase({ url: copy.url, poolMax: 4 });
      drop = () => copy.drop();
    } else database = await createTestDatabase();
    t = await createTestApp({ database });
    agent = await createIngestingAgent(t, await signInAdmin(t), { serverId: 'srv-outage-formats' });
    // Credentials are checked before the outage, so the requests below reach the commit.
    expect((await lineProtocol()).statusCode).toBe(204);
    await database.close();
  });
  afterAll(async () => {
    await t.close();
    await drop();
  });

  let second = nowSeconds() - 100;
  function lineProtocol() {
    second += 1;
    return t.app.inject({
      method: 'POST',
      url: '/api/v2/write?precision=s',
      headers: { authorization: `Token ${agent.token}`, 'content-type': 'text/plain' },
      payload: `mem,host=${agent.serverId} used_percent=5 ${second}`,
    });
  }

  const backOff = (res: { statusCode: number; headers: Record<string, unknown>; body: string }) => {
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  };

  it('answers line protocol 503 {code: "unavailable"} with Retry-After', async () => {
    const res = await lineProtocol();
    backOff(res);
    expect(res.json()).toMatchObject({ code: 'unavailable' });
  });

  it('answers OTLP 503 with a google.rpc.Status UNAVAILABLE (14) and Retry-After', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: { ...bearer(agent.jwt), 'content-type': 'application/json' },
      payload: otlpJsonBody(agent.serverId, 'system.memory.utilization', 0.5, Date.now()),
    });
    backOff(res);
    expect(res.json()).toMatchObject({ code: 14 });
  });

  it('answers remote_write 503 in plain text with Retry-After', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/prom/write',
      headers: { ...bearer(agent.jwt), 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      payload: await remoteWriteBody([gaugeSeries('node_load1', agent.serverId, 1, Date.now())]),
    });
    backOff(res);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });
});
