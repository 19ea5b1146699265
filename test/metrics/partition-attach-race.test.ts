import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { createMetricsRepository } from '../../src/modules/metrics/metrics.repository.js';
import { partitionName } from '../../src/modules/metrics/metrics-partitions.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { signInAdmin } from '../harness/identity.js';
import { createIngestingAgent } from '../harness/metrics.js';
import { waitFor } from '../harness/sdk.js';

/**
 * A flush whose rows belong to a day without a partition is routed to the default partition, and waits there
 * while another transaction attaches that day's partition. When the attach commits, Postgres re-checks the
 * default partition's new bounds and refuses the row (23514, "violates partition constraint") — found by the
 * soak on Postgres as two 500s. The repository routes the statement again. PGlite runs one statement at a
 * time, so nothing can interleave there.
 */
describe.skipIf(!process.env['TEST_DATABASE_URL'])('a flush racing a partition attach (Postgres)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('stores the rows in the new partition instead of failing', async () => {
    const agent = await createIngestingAgent(t, await signInAdmin(t));
    const repository = createMetricsRepository({ db: t.database.db });
    const day = new Date('2031-05-01T00:00:00Z');
    const name = partitionName(day);
    const ts = day.getTime() / 1000 + 3_600;

    let flush: Promise<unknown> | undefined;
    await t.database.db.transaction(async (tx) => {
      await tx.execute(sql.raw(`create table ${name} (like metrics_data including defaults including constraints)`));
      await tx.execute(
        sql.raw(
          `alter table metrics_data attach partition ${name} for values from ('2031-05-01T00:00:00Z') to ('2031-05-02T00:00:00Z')`,
        ),
      );
      flush = repository
        .insertBatch([{ agent_id: agent.agent.id, server_id: agent.serverId, ts, data: { cpu: { usage: 1 } } }], [])
        .then(
          () => 'stored',
          (error: unknown) => error,
        );
      // The flush is now queued behind this transaction's lock on the default partition.
      await waitFor(async () => {
        const [waiting] = await queryRows<{ n: number }>(
          t.database.db,
          sql`select count(*)::int as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock' and query like '%insert into metrics_data%'`,
        );
        return (waiting?.n ?? 0) > 0;
      }, 'the flush to wait on the attach');
    });

    expect(await flush).toBe('stored');
    const rows = await queryRows<{ part: string }>(
      t.database.db,
      sql`select tableoid::regclass::text as part from metrics_data where agent_id = ${agent.agent.id}`,
    );
    expect(rows).toEqual([{ part: name }]);
  });
});
