import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { maintainMetricsPartitions } from '../../src/modules/metrics/metrics-maintenance.js';
import { maintainPartitions, partitionName } from '../../src/modules/metrics/metrics-partitions.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { signInAdmin } from '../harness/identity.js';
import { createIngestingAgent, ingest, nowSeconds } from '../harness/metrics.js';

const DEFAULT = 'metrics_data_default';
const p = (day: string) => `metrics_data_p${day.replace(/-/g, '')}`;

/**
 * One timeline in far-future days (so the real clock never interferes): rows first land in
 * the default partition, maintenance runs with a chosen `now`, and later runs move time on.
 */
describe('daily metrics partitions and retention (maintainPartitions)', () => {
  let t: TestApp;
  const agentId = randomUUID();

  async function insertAt(...times: string[]) {
    for (const time of times) {
      await t.database.db.execute(
        sql`insert into metrics_data (agent_id, server_id, ts, data) values (${agentId}, 'srv', ${time}::timestamptz, '{}'::jsonb)`,
      );
    }
  }

  /** Every child table of metrics_data, from the catalog. */
  async function partitions(): Promise<string[]> {
    const rows = await queryRows<{ name: string }>(
      t.database.db,
      sql`select c.relname as name from pg_inherits i
          join pg_class c on c.oid = i.inhrelid join pg_class parent on parent.oid = i.inhparent
          where parent.relname = 'metrics_data' order by 1`,
    );
    return rows.map((r) => r.name);
  }

  /** Where each row of the test agent physically is: ISO time → partition. */
  async function placement(): Promise<Record<string, string>> {
    const rows = await queryRows<{ ms: number | string; part: string }>(
      t.database.db,
      sql`select (extract(epoch from ts) * 1000)::float8 as ms, tableoid::regclass::text as part
          from metrics_data where agent_id = ${agentId}`,
    );
    return Object.fromEntries(rows.map((r) => [new Date(Number(r.ms)).toISOString(), r.part]));
  }

  const maintain = (now: string, daysBack: number, daysAhead: number, retentionDays = 30) =>
    maintainPartitions(t.database.db, { now: new Date(now), daysBack, daysAhead, retentionDays });

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('starts with only the default partition, which catches every row', async () => {
    expect(await partitions()).toEqual([DEFAULT]);
    await insertAt(
      '2030-01-11T06:00:00.000Z',
      '2030-01-19T10:00:00.000Z',
      '2030-01-20T23:59:59.999Z',
      '2030-01-21T00:00:00.000Z',
      '2030-01-21T05:00:00.000Z',
      '2030-01-22T01:00:00.000Z',
      '2030-01-26T00:00:00.000Z',
    );
    expect(new Set(Object.values(await placement()))).toEqual(new Set([DEFAULT]));
  });

  it('creates a partition per day from daysBack to daysAhead and moves the rows the default partition caught into them', async () => {
    const result = await maintain('2030-01-21T12:00:00Z', 2, 1);
    expect(result).toEqual({
      created: [p('2030-01-19'), p('2030-01-20'), p('2030-01-21'), p('2030-01-22')],
      dropped: [],
      skipped: false,
    });
    expect(await partitions()).toEqual([DEFAULT, p('2030-01-19'), p('2030-01-20'), p('2030-01-21'), p('2030-01-22')]);
    expect(await placement()).toEqual({
      '2030-01-11T06:00:00.000Z': DEFAULT,
      '2030-01-19T10:00:00.000Z': p('2030-01-19'),
      '2030-01-20T23:59:59.999Z': p('2030-01-20'),
      '2030-01-21T00:00:00.000Z': p('2030-01-21'),
      '2030-01-21T05:00:00.000Z': p('2030-01-21'),
      '2030-01-22T01:00:00.000Z': p('2030-01-22'),
      '2030-01-26T00:00:00.000Z': DEFAULT,
    });
  });

  it('names partitions by their UTC day', () => {
    expect(partitionName(new Date('2030-01-21T00:00:00Z'))).toBe('metrics_data_p20300121');
  });

  it('creates and drops nothing when run again with the same now', async () => {
    expect(await maintain('2030-01-21T12:00:00Z', 2, 1)).toEqual({ created: [], dropped: [], skipped: false });
    expect((await partitions()).length).toBe(5);
  });

  it('routes rows inserted later into the partition of their day', async () => {
    await insertAt('2030-01-20T12:00:00.000Z');
    expect((await placement())['2030-01-20T12:00:00.000Z']).toBe(p('2030-01-20'));
  });

  it('drops partitions older than the retention with their rows, keeps the boundary day, and deletes expired rows from the default partition', async () => {
    // Thirty days before 2030-02-20 is 2030-01-21: that day is kept, the ones before it go.
    const result = await maintain('2030-02-20T12:00:00Z', 0, 0, 30);
    expect(result.created).toEqual([p('2030-02-20')]);
    expect([...result.dropped].sort()).toEqual([p('2030-01-19'), p('2030-01-20')]);
    expect(await partitions()).toEqual([DEFAULT, p('2030-01-21'), p('2030-01-22'), p('2030-02-20')]);
    expect(await placement()).toEqual({
      '2030-01-21T00:00:00.000Z': p('2030-01-21'),
      '2030-01-21T05:00:00.000Z': p('2030-01-21'),
      '2030-01-22T01:00:00.000Z': p('2030-01-22'),
      '2030-01-26T00:00:00.000Z': DEFAULT,
    });
  });

  it('is safe to run twice at once: each partition is created and dropped exactly once, and neither run fails', async () => {
    const runs = await Promise.all([
      maintain('2030-03-10T12:00:00Z', 3, 2, 30),
      maintain('2030-03-10T12:00:00Z', 3, 2, 30),
    ]);
    const expectedDays = ['2030-03-07', '2030-03-08', '2030-03-09', '2030-03-10', '2030-03-11', '2030-03-12'];
    expect(runs.flatMap((r) => r.created).sort()).toEqual(expectedDays.map(p));
    expect(runs.flatMap((r) => r.dropped).sort()).toEqual([p('2030-01-21'), p('2030-01-22')]);
    expect(await partitions()).toEqual([DEFAULT, p('2030-02-20'), ...expectedDays.map(p)]);
    // 2030-01-26 sat in the default partition and is past retention too.
    expect(await placement()).toEqual({});
  });

  it("covers today in the app's own maintenance, so a sample ingested now lands in today's partition", async () => {
    const result = await maintainMetricsPartitions(t.ctx);
    expect(result.created).toContain(partitionName(new Date()));
    const agent = await createIngestingAgent(t, await signInAdmin(t));
    const now = nowSeconds();
    expect((await ingest(t, agent.jwt, { server_id: agent.serverId, timestamp: now, metrics: {} })).statusCode).toBe(
      200,
    );
    const [row] = await queryRows<{ part: string }>(
      t.database.db,
      sql`select tableoid::regclass::text as part from metrics_data where agent_id = ${agent.agent.id}`,
    );
    expect(row?.part).toBe(partitionName(new Date(now * 1000)));
  });
});
