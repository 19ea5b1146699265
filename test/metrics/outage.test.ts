import { gzipSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import { bearer, signInAdmin, type Person } from '../harness/identity.js';
import {
  arrivals,
  createIngestingAgent,
  gate,
  heldBody,
  holdCommits,
  ingest,
  nowSeconds,
  storedSamples,
  type IngestingAgent,
} from '../harness/metrics.js';
import { createPostgresCopy } from '../harness/postgres-copy.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';

const postgresUrl = process.env['TEST_DATABASE_URL'];

/** The retry contract: an outage is 503 unavailable with a Retry-After of whole seconds, never a 4xx or a 500. */
function expectBackOff(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBe(503);
  expect(res.json()).toMatchObject({ error: 'unavailable', message: expect.any(String) });
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
}

/** A database the test may close itself (the harness copy is not dropped once closed). */
async function ownDatabase(
  via: (url: string) => string = (url) => url,
): Promise<{ database: Database; dispose(): Promise<void> }> {
  if (!postgresUrl) {
    const database = await createTestDatabase();
    return { database, dispose: () => database.close() };
  }
  const copy = await createPostgresCopy(postgresUrl);
  const database = await openDatabase({ url: via(copy.url), poolMax: 4 });
  return {
    database,
    dispose: async () => {
      await database.close();
      await copy.drop();
    },
  };
}

describe('ingestion once the database is closed', () => {
  let own: Awaited<ReturnType<typeof ownDatabase>>;
  let t: TestApp;
  let admin: Person;
  let agent: IngestingAgent;
  beforeAll(async () => {
    own = await ownDatabase();
    t = await createTestApp({ database: own.database });
    admin = await signInAdmin(t);
    agent = await createIngestingAgent(t, admin);
  });
  afterAll(async () => {
    await t.close();
    await own.dispose();
  });

  it('answers 503 with Retry-After to single, batched and gzip submissions, and to reads', async () => {
    const body = { server_id: agent.serverId, timestamp: nowSeconds(), metrics: { cpu: 1 } };
    expect((await ingest(t, agent.jwt, body)).statusCode).toBe(200);
    await own.database.close();

    expectBackOff(await ingest(t, agent.jwt, { ...body, timestamp: body.timestamp - 1 }));
    const samples = [2, 3, 4].map((i) => ({ timestamp: body.timestamp - i, metrics: { cpu: i } }));
    expectBackOff(await ingest(t, agent.jwt, { server_id: agent.serverId, samples }));
    expectBackOff(
      await ingest(t, agent.jwt, gzipSync(JSON.stringify({ server_id: agent.serverId, samples })), {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      }),
    );
    const concurrent = await Promise.all(
      samples.map((sample) => ingest(t, agent.jwt, { server_id: agent.serverId, ...sample })),
    );
    concurrent.forEach(expectBackOff);
    expectBackOff(await t.app.inject({ url: `/api/v1/metrics/${agent.serverId}`, headers: admin.headers }));
  });
});

describe('ingestion while a commit takes longer than INGEST_TIMEOUT_MS', () => {
  const counter = arrivals();
  let t: TestApp;
  let agent: IngestingAgent;
  beforeAll(async () => {
    t = await createTestApp({ config: { INGEST_TIMEOUT_MS: 1000 }, extraRoutes: [counter.routes] });
    agent = await createIngestingAgent(t, await signInAdmin(t));
  });
  afterAll(() => t.close());

  it('answers 503 with Retry-After while the commit is still held, and a retry once it goes through is stored once', async () => {
    const timestamp = nowSeconds() - 5;
    const payload = { server_id: agent.serverId, timestamp, metrics: { cpu: 1 } };
    const body = gate();
    const pending = t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: { ...bearer(agent.jwt), 'content-type': 'application/json' },
      payload: heldBody(JSON.stringify(payload), body.opened),
    });
    await counter.reach(1); // authenticated: from here on only the commit touches the database
    const release = await holdCommits(t.database);
    body.open();
    const slow = await pending; // answered while the database still holds the commit back
    expectBackOff(slow);
    await release();
    // The held commit may still land: the agent's retry must then be a harmless duplicate.
    for (let attempt = 1; ; attempt++) {
      const retry = await ingest(t, agent.jwt, payload);
      if (retry.statusCode === 200) break;
      expectBackOff(retry);
      expect(attempt).toBeLessThan(10);
    }
    expect((await storedSamples(t, agent.agent.id)).map((s) => s.ts)).toEqual([timestamp]);
  });
});

describe.skipIf(!postgresUrl)('ingestion across a Postgres outage (through a TCP proxy)', () => {
  let proxy: TcpProxy;
  let own: Awaited<ReturnType<typeof ownDatabase>>;
  let t: TestApp;
  let agent: IngestingAgent;
  let next = nowSeconds() - 3600;
  const committed: number[] = [];

  const submit = () => ingest(t, agent.jwt, { server_id: agent.serverId, timestamp: next++, metrics: { cpu: 1 } });

  /** Retries as an agent would until a 2xx, checking every answer on the way is 200 or a back-off. */
  async function retryUntilAccepted(deadlineMs = 20_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const timestamp = next++;
      const res = await ingest(t, agent.jwt, { server_id: agent.serverId, timestamp, metrics: { cpu: 1 } });
      if (res.statusCode === 200) {
        committed.push(timestamp);
        return;
      }
      expectBackOff(res);
      if (Date.now() > deadline) throw new Error('ingestion did not recover');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    const target = new URL(postgresUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    own = await ownDatabase((url) => proxy.url(url));
    t = await createTestApp({ database: own.database, config: { INGEST_TIMEOUT_MS: 1000 } });
    agent = await createIngestingAgent(t, await signInAdmin(t));
  });
  afterAll(async () => {
    await t.close();
    await own.dispose();
    await proxy.close();
  });

  it('ingests through the proxy while the database is reachable', async () => {
    await retryUntilAccepted();
    expect(proxy.connections).toBeGreaterThan(0);
  });

  it('answers 503 with Retry-After, never 500, while connections are refused, and ingests again once they are back', async () => {
    proxy.pause('refuse');
    (await Promise.all([submit(), submit(), submit(), submit()])).forEach(expectBackOff);
    expectBackOff(await submit());
    proxy.resume();
    await retryUntilAccepted();
  });

  it('answers 503 with Retry-After, never 500 and without hanging, while the database hangs, and ingests again once it answers', async () => {
    proxy.pause('hang');
    (await Promise.all([submit(), submit(), submit(), submit()])).forEach(expectBackOff);
    expectBackOff(await submit());
    proxy.resume();
    await retryUntilAccepted();
  });

  it('has stored every sample that was answered with 2xx', async () => {
    const stored = new Set((await storedSamples(t, agent.agent.id)).map((s) => s.ts));
    expect(committed.length).toBe(3);
    for (const timestamp of committed) expect(stored.has(timestamp), String(timestamp)).toBe(true);
  });
});
