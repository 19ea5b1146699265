import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { createTestApp, startTestServer, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import { signInAdmin } from '../harness/identity.js';
import {
  createIngestingAgent,
  ingest,
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

function body({ agent, timestamps }: Submission) {
  return {
    server_id: agent.serverId,
    samples: timestamps.map((timestamp) => ({ timestamp, metrics: { cpu: { usage: timestamp % 100 } } })),
  };
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

/**
 * Makes the database slow on purpose: a transaction holds metrics_data locked (on PGlite, its
 * one connection) until released, so concurrent requests pile up as they would under load.
 */
async function holdDatabase(database: Database): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const held = database.db.transaction(async (tx) => {
    await tx.execute(sql`lock table metrics_data in access exclusive mode`);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await held;
  };
}

/** Setup time for concurrent requests to reach the server (not an assertion: less only means less overlap). */
const letRequestsArrive = () => new Promise((resolve) => setTimeout(resolve, 300));

/**
 * Sends concurrent requests while commits are slow. PGlite runs each statement in-process at
 * once, so without a hold every request would commit before the next one is even parsed. The
 * first hold keeps the requests at their credential check; the second, queued behind those
 * checks (PGlite serves its one connection in order) and ahead of any commit, holds their commits.
 */
async function whileCommitsAreSlow<T>(database: Database, send: () => Promise<T>): Promise<T> {
  const releaseChecks = await holdDatabase(database);
  const pending = send();
  await letRequestsArrive();
  const commitsHeld = holdDatabase(database);
  await releaseChecks();
  const releaseCommits = await commitsHeld;
  await letRequestsArrive();
  await releaseCommits();
  return pending;
}

const scrapeValue = async (t: TestApp, name: string, labels = '') => (await scrape(t, name)).get(labels) ?? 0;

describe('ingestion when the buffer is full (INGEST_MAX_QUEUED_ROWS=4)', () => {
  let t: TestApp;
  let agents: IngestingAgent[];
  beforeAll(async () => {
    t = await createTestApp({ config: { INGEST_MAX_QUEUED_ROWS: 4 } });
    const admin = await signInAdmin(t);
    agents = [];
    for (let i = 0; i < 4; i++) agents.push(await createIngestingAgent(t, admin));
  });
  afterAll(() => t.close());

  it('answers the excess of concurrent requests 503 with Retry-After, and stores exactly the acknowledged ones', async () => {
    const rejectedBefore = await scrapeValue(t, 'agenthub_ingest_rejected_total', '{reason="unavailable"}');
    const sent = submissions(agents, 10, 2);
    const responses = await whileCommitsAreSlow(t.database, () =>
      Promise.all(sent.map((s) => ingest(t, s.agent.jwt, body(s)))),
    );
    const backedOff = responses.filter((r) => r.statusCode === 503);
    for (const res of responses) expect([200, 503], res.body).toContain(res.statusCode);
    for (const res of backedOff) {
      expect(res.json()).toMatchObject({ error: 'unavailable' });
      expect(res.headers['retry-after']).toBe('1');
    }
    expect(backedOff.length).toBeGreaterThan(0);
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
  let t: TestApp;
  let agents: IngestingAgent[];
  beforeAll(async () => {
    t = await createTestApp();
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
    const responses: LightMyRequestResponse[] = await whileCommitsAreSlow(t.database, () =>
      Promise.all(sent.map((s) => ingest(t, s.agent.jwt, body(s)))),
    );
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

describe('graceful close while ingestion is in flight', () => {
  let database: Database;
  let server: TestApp & { url: string };
  let agents: IngestingAgent[];
  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startTestServer({ database });
    const admin = await signInAdmin(server);
    agents = [];
    for (let i = 0; i < 3; i++) agents.push(await createIngestingAgent(server, admin));
  });
  afterAll(() => database.close());

  it('answers the requests it had accepted and has stored every one it answered with 2xx before the database closes', async () => {
    const sent = submissions(agents, 20, 2);
    let closeCalled = false;
    const release = await holdDatabase(database);
    const outcomes = sent.map((s) =>
      fetch(`${server.url}/api/v1/metrics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.agent.jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify(body(s)),
      }).then(
        async (res) => ({ status: res.status, body: await res.text(), afterClose: closeCalled }),
        () => ({ status: 0, body: 'connection refused or reset', afterClose: closeCalled }),
      ),
    );
    await letRequestsArrive();
    closeCalled = true;
    const closing = server.close(); // the app only: the test holds the database open to count
    await release();
    await closing;
    const settled = await Promise.all(outcomes);

    for (const outcome of settled) expect([0, 200, 503], outcome.body).toContain(outcome.status);
    // Requests already in the handler when close began were finished, not dropped.
    expect(settled.filter((o) => o.status === 200 && o.afterClose).length).toBeGreaterThan(0);
    await expectExactlyAcknowledgedStored(
      server,
      agents,
      sent.filter((_, i) => settled[i]!.status === 200),
    );
  });
});
