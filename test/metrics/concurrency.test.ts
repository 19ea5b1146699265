import { request } from 'node:http';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { createTestApp, startTestServer, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import { bearer, signInAdmin } from '../harness/identity.js';
import {
  arrivals,
  createIngestingAgent,
  gate,
  heldBody,
  holdCommits,
  nowSeconds,
  scrape,
  storedSamples,
  type IngestingAgent,
} from '../harness/metrics.js';

interface Submission {
  agent: IngestingAgent;
  timestamps: number[];
}

/** `perAgent` submissions of `rows` samples for each agent, every timestamp distinct per agent. */
function submissions(agents: IngestingAgent[], perAgent: number, rows: number): Submission[] {
  const start = nowSeconds() - 3600;
  return agents.flatMap((agent) =>
    Array.from({ length: perAgent }, (_, i) => ({
      agent,
      timestamps: Array.from({ length: rows }, (_, j) => start + i * rows + j),
    })),
  );
}

function body({ agent, timestamps }: Submission): string {
  return JSON.stringify({
    server_id: agent.serverId,
    samples: timestamps.map((timestamp) => ({ timestamp, metrics: { cpu: { usage: timestamp % 100 } } })),
  });
}

/** Every timestamp the 2xx answers acknowledged is stored for its agent, and nothing else is. */
async function expectExactlyAcknowledgedStored(
  t: TestApp,
  agents: IngestingAgent[],
  acknowledged: Submission[],
): Promise<void> {
  for (const agent of agents) {
    const expected = acknowledged.filter((s) => s.agent === agent).flatMap((s) => s.timestamps);
    const stored = (await storedSamples(t, agent.agent.id)).map((s) => s.ts);
    expect(stored).toEqual(expected.sort((a, b) => a - b));
  }
}

/** Lets in-process work that needs no I/O (body parsing, validation, buffering) run to its end. */
async function settleInProcess(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Sends every submission at once and makes them meet in the buffer: all are authenticated and
 * waiting on their bodies, then the bodies arrive while commits are held.
 */
async function sendTogether(
  t: TestApp,
  counter: ReturnType<typeof arrivals>,
  sent: Submission[],
): Promise<LightMyRequestResponse[]> {
  const bodies = gate();
  const pending = Promise.all(
    sent.map((s) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/metrics',
        headers: { ...bearer(s.agent.jwt), 'content-type': 'application/json' },
        payload: heldBody(body(s), bodies.opened),
      }),
    ),
  );
  await counter.reach(sent.length);
  const release = await holdCommits(t.database);
  bodies.open();
  await settleInProcess();
  await release();
  return pending;
}

const scrapeValue = async (t: TestApp, name: string, labels = '') => (await scrape(t, name)).get(labels) ?? 0;

describe('ingestion when the buffer is full (INGEST_MAX_QUEUED_ROWS=4)', () => {
  const counter = arrivals();
  let t: TestApp;
  let agents: IngestingAgent[];
  beforeAll(async () => {
    t = await createTestApp({ config: { INGEST_MAX_QUEUED_ROWS: 4 }, extraRoutes: [counter.routes] });
    const admin = await signInAdmin(t);
    agents = [];
    for (let i = 0; i < 4; i++) agents.push(await createIngestingAgent(t, admin));
  });
  afterAll(() => t.close());

  it('answers the excess of concurrent requests 503 with Retry-After, and stores exactly the acknowledged ones', async () => {
    const rejectedBefore = await scrapeValue(t, 'agenthub_ingest_rejected_total', '{reason="unavailable"}');
    const sent = submissions(agents, 10, 2);
    const responses = await sendTogether(t, counter, sent);
    const backedOff = responses.filter((r) => r.statusCode === 503);
    for (const res of responses) expect([200, 503], res.body).toContain(res.statusCode);
    for (const res of backedOff) {
      expect(res.json()).toMatchObject({ error: 'unavailable' });
      expect(res.headers['retry-after']).toBe('1');
    }
    // At most two flushes in flight plus four queued rows (two requests) fit while commits wait.
    expect(backedOff.length).toBeGreaterThanOrEqual(sent.length - 4);
    expect(backedOff.length).toBeLessThan(sent.length);
    await expectExactlyAcknowledgedStored(
      t,
      agents,
      sent.filter((_, i) => responses[i]!.statusCode === 200),
    );
    expect(await scrapeValue(t, 'agenthub_ingest_rejected_total', '{reason="unavailable"}')).toBe(
      rejectedBefore + backedOff.length,
    );
  });
});

describe('concurrent ingestion from several agents', () => {
  const counter = arrivals();
  let t: TestApp;
  let agents: IngestingAgent[];
  beforeAll(async () => {
    t = await createTestApp({ extraRoutes: [counter.routes] });
    const admin = await signInAdmin(t);
    agents = [];
    for (let i = 0; i < 6; i++) agents.push(await createIngestingAgent(t, admin));
  });
  afterAll(() => t.close());

  it('commits every request, batching the rows of many requests into fewer flushes', async () => {
    const before = {
      flushes: await scrapeValue(t, 'agenthub_ingest_batch_rows_count'),
      rows: await scrapeValue(t, 'agenthub_ingest_batch_rows_sum'),
      ingested: await scrapeValue(t, 'agenthub_metrics_samples_ingested_total'),
      timed: await scrapeValue(t, 'agenthub_ingest_flush_duration_seconds_count'),
    };
    const sent = submissions(agents, 15, 2);
    const responses = await sendTogether(t, counter, sent);
    expect(responses.map((r) => r.statusCode)).toEqual(sent.map(() => 200));
    await expectExactlyAcknowledgedStored(t, agents, sent);

    const totalRows = sent.length * 2;
    const flushes = (await scrapeValue(t, 'agenthub_ingest_batch_rows_count')) - before.flushes;
    expect(flushes).toBeGreaterThan(0);
    expect(flushes).toBeLessThan(sent.length);
    expect((await scrapeValue(t, 'agenthub_ingest_batch_rows_sum')) - before.rows).toBe(totalRows);
    expect((await scrapeValue(t, 'agenthub_metrics_samples_ingested_total')) - before.ingested).toBe(totalRows);
    expect((await scrapeValue(t, 'agenthub_ingest_flush_duration_seconds_count')) - before.timed).toBe(flushes);
  });
});

/** A real HTTP POST whose headers go out at once and whose body only once `opened` resolves. */
function post(
  url: string,
  jwt: string,
  text: string,
  opened: Promise<void>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { ...bearer(jwt), 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let received = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (received += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: received }));
    });
    req.flushHeaders();
    void opened.then(() => req.end(text));
  });
}

describe('graceful close while ingestion is in flight', () => {
  const counter = arrivals();
  let database: Database;
  let server: TestApp & { url: string };
  let agents: IngestingAgent[];
  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startTestServer({ database, extraRoutes: [counter.routes] });
    const admin = await signInAdmin(server);
    agents = [];
    for (let i = 0; i < 3; i++) agents.push(await createIngestingAgent(server, admin));
  });
  afterAll(() => database.close());

  it('finishes every request it had accepted before the close, each answered 2xx and stored', async () => {
    const sent = submissions(agents, 10, 2);
    const bodies = gate();
    const outcomes = sent.map((s) => post(`${server.url}/api/v1/metrics`, s.agent.jwt, body(s), bodies.opened));
    await counter.reach(sent.length);
    const closing = server.close(); // the app only: the test holds the database open to count
    bodies.open();
    await closing;
    const settled = await Promise.all(outcomes);
    expect(settled.map((o) => o.status)).toEqual(sent.map(() => 200));
    await expectExactlyAcknowledgedStored(server, agents, sent);
  });

  it('refuses new connections once closed', async () => {
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
