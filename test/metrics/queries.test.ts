import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createIngestingAgent, ingest, nowSeconds, type IngestingAgent } from '../harness/metrics.js';

interface Point {
  t: string;
  avg: number;
  min: number;
  max: number;
  count: number;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

describe('metrics queries', () => {
  let t: TestApp;
  let admin: Person;
  let agent: IngestingAgent;
  /** Two hours ago, on a whole hour, so buckets of 60 and 120 s start exactly there. */
  const base = Math.floor(nowSeconds() / 3600) * 3600 - 7200;

  const known: [offset: number, metrics: Record<string, unknown>][] = [
    [0, { cpu: { usage: 10 }, disk: { root: { used_pct: 40 } } }],
    [20, { cpu: { usage: 20 } }],
    [40, { cpu: { usage: 60 }, disk: { root: { used_pct: 44 } } }],
    [60, { cpu: { usage: 5 } }],
    // Not numbers at cpu.usage: skipped by the series, whatever else they hold.
    [90, { cpu: { usage: 'high' } }],
    [100, { cpu: {} }],
    [110, { cpu: { usage: true } }],
    [115, { cpu: 7 }],
    [116, { cpu: { usage: { now: 3 } } }],
    [180, { cpu: { usage: 1.5 } }],
    [181, { cpu: { usage: 2.5 } }],
    [250, { cpu: { usage: -4 } }],
    [3000, { cpu: { usage: 100 } }],
  ];

  async function series(query: string, agentId = agent.agent.id) {
    return t.app.inject({ url: `/api/v1/agents/${agentId}/metrics/series?${query}`, headers: admin.headers });
  }
  async function points(query: string): Promise<Point[]> {
    const res = await series(query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ points: Point[] }>().points;
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    agent = await createIngestingAgent(t, admin);
    const res = await ingest(t, agent.jwt, {
      server_id: agent.serverId,
      samples: known.map(([offset, metrics]) => ({ timestamp: base + offset, metrics })),
    });
    expect(res.statusCode).toBe(200);
  });
  afterAll(() => t.close());

  describe('GET /api/v1/agents/:id/metrics/series', () => {
    it('buckets a numeric path by step with exact avg, min, max and count, skipping non-numeric values and empty buckets', async () => {
      const res = await series(`path=cpu.usage&from=${base}&to=${base + 240}&step=60`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        path: 'cpu.usage',
        step: 60,
        points: [
          { t: iso(base), avg: 30, min: 10, max: 60, count: 3 },
          { t: iso(base + 60), avg: 5, min: 5, max: 5, count: 1 },
          { t: iso(base + 180), avg: 2, min: 1.5, max: 2.5, count: 2 },
        ],
      });
    });

    it('uses wider buckets for a wider step', async () => {
      expect(await points(`path=cpu.usage&from=${base}&to=${base + 360}&step=120`)).toEqual([
        { t: iso(base), avg: 23.75, min: 5, max: 60, count: 4 },
        { t: iso(base + 120), avg: 2, min: 1.5, max: 2.5, count: 2 },
        { t: iso(base + 240), avg: -4, min: -4, max: -4, count: 1 },
      ]);
      expect(await points(`path=cpu.usage&from=${base}&to=${base + 3600}&step=3600`)).toEqual([
        { t: iso(base), avg: 24.375, min: -4, max: 100, count: 8 },
      ]);
    });

    it('includes from and excludes to, labelling a bucket by its start even when from falls inside it', async () => {
      expect(await points(`path=cpu.usage&from=${base + 20}&to=${base + 60}&step=60`)).toEqual([
        { t: iso(base), avg: 40, min: 20, max: 60, count: 2 },
      ]);
      expect(await points(`path=cpu.usage&from=${base + 20}&to=${base + 40}&step=60`)).toEqual([
        { t: iso(base), avg: 20, min: 20, max: 20, count: 1 },
      ]);
    });

    it('reads nested paths', async () => {
      expect(await points(`path=disk.root.used_pct&from=${base}&to=${base + 3600}&step=60`)).toEqual([
        { t: iso(base), avg: 42, min: 40, max: 44, count: 2 },
      ]);
    });

    it('takes from and to as ISO 8601 or unix seconds alike, and defaults to the last hour', async () => {
      const unix = await points(`path=cpu.usage&from=${base}&to=${base + 240}&step=60`);
      const isoQuery = new URLSearchParams({ path: 'cpu.usage', from: iso(base), to: iso(base + 240), step: '60' });
      expect(await points(isoQuery.toString())).toEqual(unix);
      // Every known sample is more than an hour old.
      expect(await points('path=cpu.usage')).toEqual([]);
    });

    it('answers an empty series for a path nobody reports', async () => {
      expect(await points(`path=gpu.usage&from=${base}&to=${base + 3600}`)).toEqual([]);
    });

    it('refuses malformed paths with 400', async () => {
      const longSegment = 'a'.repeat(65);
      for (const path of [
        '',
        '.cpu',
        'cpu.',
        'cpu..usage',
        "cpu.usage'",
        'cpu.usage;drop table agents',
        'cpu usage',
        'cpu.{usage}',
        'a.b.c.d.e.f.g.h.i',
        longSegment,
      ]) {
        const res = await series(new URLSearchParams({ path, from: String(base), to: String(base + 60) }).toString());
        expect(res.statusCode, path).toBe(400);
        expect(res.json(), path).toMatchObject({ error: 'invalid_request' });
      }
      expect((await series(`from=${base}`)).statusCode).toBe(400);
      expect((await series(`path=a.b.c.d.e.f.g.h&from=${base}&to=${base + 60}`)).statusCode).toBe(200);
    });

    it('refuses from at or after to with 400', async () => {
      for (const [from, to] of [
        [base, base],
        [base + 60, base],
      ]) {
        const res = await series(`path=cpu.usage&from=${from}&to=${to}`);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error: 'invalid_request', details: [{ path: 'querystring.from' }] });
      }
    });

    it('refuses more than 10,000 points with 400, and accepts the same range with a wider step', async () => {
      const week = 7 * 86_400;
      const tooMany = await series(`path=cpu.usage&from=${base - week}&to=${base}&step=60`);
      expect(tooMany.statusCode).toBe(400);
      expect(tooMany.json()).toMatchObject({ details: [{ path: 'querystring.step' }] });
      expect((await series(`path=cpu.usage&from=${base - week}&to=${base}&step=61`)).statusCode).toBe(200);
    });

    it('refuses steps outside 1 s to 1 day and unreadable times with 400', async () => {
      for (const query of ['step=0', 'step=86401', 'step=1.5', 'step=minute', 'from=yesterday', 'to=soon']) {
        const res = await series(`path=cpu.usage&${query}`);
        expect(res.statusCode, query).toBe(400);
      }
    });
  });

  describe('GET /api/v1/metrics/:server_id', () => {
    let busy: IngestingAgent;
    const end = nowSeconds() - 10;
    const timestamps = Array.from({ length: 105 }, (_, i) => end - 105 + i + 1);

    beforeAll(async () => {
      busy = await createIngestingAgent(t, admin);
      const res = await ingest(t, busy.jwt, {
        server_id: busy.serverId,
        samples: timestamps.map((timestamp, i) => ({ timestamp, metrics: { n: i } })),
      });
      expect(res.statusCode).toBe(200);
    });

    async function latest(query = '') {
      const res = await t.app.inject({ url: `/api/v1/metrics/${busy.serverId}${query}`, headers: admin.headers });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ metrics: { timestamp: string; metrics_data: { n: number } }[] }>().metrics;
    }

    it('answers the latest 100 snapshots, newest first, by default', async () => {
      const rows = await latest();
      expect(rows.map((r) => r.timestamp)).toEqual(
        timestamps
          .slice(-100)
          .reverse()
          .map((s) => iso(s)),
      );
      expect(rows[0]!.metrics_data).toEqual({ n: 104 });
    });

    it('honours limit, and from and to (both inclusive)', async () => {
      expect((await latest('?limit=3')).map((r) => r.metrics_data.n)).toEqual([104, 103, 102]);
      const from = timestamps[10]!;
      const to = timestamps[12]!;
      expect((await latest(`?from=${from}&to=${to}`)).map((r) => r.metrics_data.n)).toEqual([12, 11, 10]);
      expect((await latest(`?from=${iso(from)}&limit=1000`)).length).toBe(95);
    });

    it('refuses a limit outside 1 to 1000 with 400', async () => {
      for (const limit of ['0', '1001', '-1', 'ten']) {
        const res = await t.app.inject({
          url: `/api/v1/metrics/${busy.serverId}?limit=${limit}`,
          headers: admin.headers,
        });
        expect(res.statusCode, limit).toBe(400);
      }
    });
  });
});
