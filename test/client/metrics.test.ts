import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient, AgentHubError, type RetryPolicy, type Sample } from '../../src/client/index.js';
import { openDatabase, queryRows, type Database } from '../../src/db/client.js';
import type { UserActor } from '../../src/identity/actor.model.js';
import { createTestApp, startTestServer, type TestApp } from '../harness/app.js';
import { createPostgresCopy } from '../harness/postgres-copy.js';
import { createOwner, recordingFetch, type Exchange } from '../harness/sdk.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';

const postgresUrl = process.env['TEST_DATABASE_URL'];
/** Immediate retries: what is measured is the wait the server asks for, not the SDK's own backoff. */
const FAST: RetryPolicy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 };

let serverCounter = 0;
/** An admin-created agent and an SDK client on its API token (exchanged for a JWT on first use). */
async function agentClient(t: TestApp & { url: string }, owner: UserActor, onResponse?: (e: Exchange) => void) {
  serverCounter += 1;
  const serverId = `srv-sdk-metrics-${serverCounter}`;
  const { agent } = await t.ctx.services.agents.create({ name: serverId, serverId }, { actor: owner });
  const { token } = await t.ctx.services.agents.issueToken(agent.id, {}, { actor: owner });
  const recorder = recordingFetch(onResponse);
  const client = new AgentHubClient({
    server: t.url,
    credentials: { kind: 'api-token', apiToken: token },
    fetch: recorder.fetch,
  });
  await client.me(); // exchange first, so only metrics requests are counted below
  recorder.exchanges.length = 0;
  return { client, serverId, agentId: agent.id, exchanges: recorder.exchanges };
}

async function rowsOf(database: Database, agentId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    database.db,
    sql`select count(*)::int as n from metrics_data where agent_id = ${agentId}`,
  );
  return row?.n ?? 0;
}

const now = () => Math.floor(Date.now() / 1000);
const samples = (count: number, size = 1): Sample[] =>
  Array.from({ length: count }, (_, i) => ({
    timestamp: now() - count + i,
    metrics: { cpu: { usage: i }, note: 'x'.repeat(size) },
  }));

describe('SDK sendMetrics: the retry contract against a real server', () => {
  let normal: TestApp & { url: string };
  let saturated: TestApp & { url: string };
  let normalOwner: UserActor;
  let saturatedOwner: UserActor;

  beforeAll(async () => {
    normal = await startTestServer();
    // A one-row ingestion queue: a two-sample batch never fits, so the server answers 503 every time.
    saturated = await startTestServer({ config: { INGEST_MAX_QUEUED_ROWS: 1 } });
    normalOwner = await createOwner(normal, 'admin');
    saturatedOwner = await createOwner(saturated, 'admin');
  });
  afterAll(async () => {
    await normal.close();
    await saturated.close();
  });

  it('retries a 503, waiting at least its Retry-After each time, then reports it as retryable', async () => {
    const { client, serverId, agentId, exchanges } = await agentClient(saturated, saturatedOwner);
    const sending = client.sendMetrics(serverId, samples(2), { retry: FAST });
    await expect(sending).rejects.toBeInstanceOf(AgentHubError);
    await expect(sending).rejects.toMatchObject({ status: 503, code: 'unavailable', retryable: true });
    expect(exchanges.map((e) => e.status)).toEqual([503, 503, 503]);
    const retryAfter = Number(exchanges[0]!.responseHeaders.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < exchanges.length; i++)
      expect(exchanges[i]!.sentAt - exchanges[i - 1]!.sentAt).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
    expect(await rowsOf(saturated.database, agentId)).toBe(0);
  });

  it('does not retry a 400: the snapshot is refused for good', async () => {
    const { client, serverId, exchanges } = await agentClient(normal, normalOwner);
    const old = { timestamp: now() - 30 * 86_400, metrics: { cpu: { usage: 1 } } };
    await expect(client.sendMetrics(serverId, old, { retry: FAST })).rejects.toMatchObject({
      status: 400,
      retryable: false,
    });
    expect(exchanges).toHaveLength(1);
  });

  it('sends large batches gzip-compressed and small ones as plain JSON, and both are stored', async () => {
    const { client, serverId, agentId, exchanges } = await agentClient(normal, normalOwner);
    expect(await client.sendMetrics(serverId, samples(200, 100))).toMatchObject({ accepted: 200 });
    expect(await client.sendMetrics(serverId, { timestamp: now(), metrics: { cpu: { usage: 1 } } })).toMatchObject({
      accepted: 1,
    });
    expect(exchanges.map((e) => e.requestHeaders.get('content-encoding'))).toEqual(['gzip', null]);
    expect(await rowsOf(normal.database, agentId)).toBe(201);
  });
});

describe.skipIf(!postgresUrl)('SDK sendMetrics across a Postgres outage (through a TCP proxy)', () => {
  let proxy: TcpProxy;
  let database: Database;
  let drop: () => Promise<void>;
  let t: TestApp & { url: string };
  let owner: UserActor;

  beforeAll(async () => {
    const copy = await createPostgresCopy(postgresUrl ?? '');
    drop = () => copy.drop();
    const target = new URL(copy.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    database = await openDatabase({ url: proxy.url(copy.url), poolMax: 4 });
    const app = await createTestApp({ database });
    t = { ...app, url: await app.app.listen({ host: '127.0.0.1', port: 0 }) };
    owner = await createOwner(t, 'admin');
  });
  afterAll(async () => {
    await t.close();
    await database.close();
    await proxy.close();
    await drop();
  });

  it('answers 503 while the database is down, and the retry after Retry-After stores the snapshot once', async () => {
    const { client, serverId, agentId, exchanges } = await agentClient(t, owner, (exchange) => {
      if (exchange.status === 503) proxy.resume();
    });
    proxy.pause('refuse');
    const result = await client.sendMetrics(
      serverId,
      { timestamp: now(), metrics: { cpu: { usage: 7 } } },
      {
        retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 1 },
      },
    );
    expect(result).toMatchObject({ accepted: 1 });
    expect(exchanges.map((e) => e.status)).toEqual([503, 200]);
    const retryAfter = Number(exchanges[0]!.responseHeaders.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(exchanges[1]!.sentAt - exchanges[0]!.sentAt).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
    expect(await rowsOf(database, agentId)).toBe(1);
  }, 60_000);
});
