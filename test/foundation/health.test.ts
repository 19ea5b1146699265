import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';

describe('health and readiness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers /healthz with ok and an uptime in seconds', async () => {
    const res = await t.app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', uptime: expect.any(Number) });
  });

  it('answers /readyz with ready after a real database round-trip', async () => {
    const res = await t.app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { db: 'ok' } });
  });

  it('answers /readyz with 503 unavailable once the database is closed, while /healthz stays up', async () => {
    await t.database.close();
    const res = await t.app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', checks: { db: 'error' } });
    expect(res.headers['retry-after']).toBe('5');
    expect((await t.app.inject('/healthz')).statusCode).toBe(200);
  });
});

describe('probe rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_ANON: 5, RATE_LIMIT_PROBES: 12 } });
  });
  afterAll(() => t.close());

  const from = (ip: string, url: string) => t.app.inject({ url, remoteAddress: ip });

  it('counts /healthz, /readyz and /metrics apart from the anonymous budget, each with its own', async () => {
    for (let i = 0; i < 10; i++)
      for (const url of ['/healthz', '/readyz', '/metrics'])
        expect((await from('192.0.2.10', url)).statusCode).toBe(200);
    // A person on the same address still has the whole anonymous budget.
    for (let i = 0; i < 5; i++) expect((await from('192.0.2.10', '/login')).statusCode).toBe(200);
    expect((await from('192.0.2.10', '/login')).statusCode).toBe(429);
  });

  it('still limits a probe that polls beyond its own budget', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 14; i++) answers.push((await from('192.0.2.11', '/readyz')).statusCode);
    expect(answers.slice(0, 12).every((s) => s === 200)).toBe(true);
    expect(answers.slice(12)).toEqual([429, 429]);
    expect((await from('192.0.2.11', '/healthz')).statusCode).toBe(200);
  });
});

const postgresUrl = process.env['TEST_DATABASE_URL'];

describe.skipIf(!postgresUrl)('readiness across a Postgres outage', () => {
  let proxy: TcpProxy;
  let database: Database;
  let t: TestApp;
  beforeAll(async () => {
    const target = new URL(postgresUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    database = await openDatabase({ url: proxy.url(postgresUrl!), poolMax: 2 });
    t = await createTestApp({ database, config: { DB_READY_TIMEOUT_MS: 500 } });
  });
  afterAll(async () => {
    await t.close();
    await database.close();
    await proxy.close();
  });

  async function readiness() {
    const res = await t.app.inject('/readyz');
    return { status: res.statusCode, body: res.json() };
  }

  async function waitForReadiness(status: number, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await readiness();
      if (result.status === status || Date.now() > deadline) return result;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('is ready while the database is reachable', async () => {
    expect(await readiness()).toEqual({ status: 200, body: { status: 'ready', checks: { db: 'ok' } } });
    expect(proxy.connections).toBeGreaterThan(0);
  });

  it('fails while connections to the database are refused and recovers by itself', async () => {
    proxy.pause('refuse');
    expect(await readiness()).toEqual({ status: 503, body: { status: 'unavailable', checks: { db: 'error' } } });

    proxy.resume();
    expect(await waitForReadiness(200)).toEqual({ status: 200, body: { status: 'ready', checks: { db: 'ok' } } });
  });

  it('fails within DB_READY_TIMEOUT_MS while the database hangs and recovers by itself', async () => {
    proxy.pause('hang');
    const started = performance.now();
    expect((await readiness()).status).toBe(503);
    expect(performance.now() - started).toBeLessThan(2_000);

    proxy.resume();
    expect((await waitForReadiness(200)).status).toBe(200);
  });
});
