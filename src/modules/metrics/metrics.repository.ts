import { and, desc, gte, inArray, lte, sql } from 'drizzle-orm';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { queryRows, type Db } from '../../db/client.js';
import { isPartitionConstraintViolation } from '../../lib/errors.js';
import { metricsData } from '../../db/schema/index.js';

export interface MetricsRow {
  agent_id: string;
  server_id: string;
  /** Unix seconds (fractions allowed). */
  ts: number;
  data: Record<string, unknown>;
}

export interface SeriesPoint {
  t: Date;
  avg: number;
  min: number;
  max: number;
  count: number;
}

/**
 * The rows travel as a single JSON parameter, so the statement is the same whatever the batch size. Parsed
 * once as jsonb and walked element by element, each snapshot is copied, not parsed again: 2-3x less database
 * time per row than json_to_recordset, whose jsonb column re-parses every snapshot (and jsonb_to_recordset
 * slows down quadratically past a few hundred rows). A repeated (agent, ts) is kept once.
 */
const INSERT_ROWS = `
    insert into metrics_data (agent_id, server_id, ts, data)
    select (r->>'agent_id')::uuid, r->>'server_id', to_timestamp((r->>'ts')::float8), r->'data'
    from jsonb_array_elements($1::jsonb) as r
    on conflict (agent_id, ts) do nothing`;

/** The agents whose ids are the JSON array in parameter $n. */
const markSeen = (n: number) => `
    update agents set last_seen_at = now()
    where id in (select value::uuid from json_array_elements_text($${n}::json))`;
const MARK_SEEN = markSeen(1);

/** Postgres: one statement, one round trip — insert every row and mark the agents seen. */
const INSERT_BATCH = `
  with ins as (${INSERT_ROWS}
    returning 1
  ), seen as (${markSeen(2)}
  )
  select count(*) from ins`;

/** On Postgres the flush is a named statement: each connection parses and plans it once, not every flush. */
const INSERT_BATCH_STATEMENT = 'agenthub_metrics_insert_batch';

export function createMetricsRepository({ db }: { db: Db }) {
  // drizzle keeps the driver it was given: node-postgres's pool on Postgres, PGlite otherwise.
  const client = (db as unknown as { $client?: unknown }).$client;
  const pool = client instanceof pg.Pool ? client : undefined;
  const embedded = client as PGlite;

  async function insertOnce(rows: MetricsRow[], seenAgentIds: string[]): Promise<void> {
    // Sorted: concurrent flushes then tend to take the agents' row locks in one order.
    const seen = JSON.stringify([...seenAgentIds].sort());
    if (pool) {
      await pool.query({ name: INSERT_BATCH_STATEMENT, text: INSERT_BATCH, values: [JSON.stringify(rows), seen] });
    } else {
      // In process there is no round trip to save, and the CTE's returned rows and the update's join cost
      // PGlite ~30% more per row than the bare insert (docs/BENCHMARKS.md): agents are marked seen in a
      // statement of their own, only when some are due (each at most every few seconds).
      await embedded.query(INSERT_ROWS, [JSON.stringify(rows)]);
      if (seenAgentIds.length > 0) await embedded.query(MARK_SEEN, [seen]);
    }
  }

  return {
    async insertBatch(rows: MetricsRow[], seenAgentIds: string[]): Promise<void> {
      try {
        await insertOnce(rows, seenAgentIds);
      } catch (error) {
        // A day's partition was attached while this statement waited on the default partition: route again.
        if (!isPartitionConstraintViolation(error)) throw error;
        await insertOnce(rows, seenAgentIds);
      }
    },

    latest: (agentIds: string[], range: { from?: Date | undefined; to?: Date | undefined; limit: number }) =>
      db
        .select({
          ts: metricsData.ts,
          data: metricsData.data,
          receivedAt: metricsData.receivedAt,
          agentId: metricsData.agentId,
        })
        .from(metricsData)
        .where(
          and(
            inArray(metricsData.agentId, agentIds),
            range.from ? gte(metricsData.ts, range.from) : undefined,
            range.to ? lte(metricsData.ts, range.to) : undefined,
          ),
        )
        .orderBy(desc(metricsData.ts))
        .limit(range.limit),

    /** Downsampled numeric series at a JSON path; non-numeric values are skipped. */
    async series(
      agentId: string,
      path: string[],
      range: { from: Date; to: Date; stepSeconds: number },
    ): Promise<SeriesPoint[]> {
      const pathLiteral = `{${path.join(',')}}`;
      const rows = await queryRows<{
        t: string | Date;
        avg: number | string;
        min: number | string;
        max: number | string;
        count: number | string;
      }>(
        db,
        sql`
        select date_bin(make_interval(secs => ${range.stepSeconds}), ts, timestamptz '1970-01-01') as t,
               avg((data #>> ${pathLiteral}::text[])::float8) as avg,
               min((data #>> ${pathLiteral}::text[])::float8) as min,
               max((data #>> ${pathLiteral}::text[])::float8) as max,
               count(*) as count
        from metrics_data
        where agent_id = ${agentId} and ts >= ${range.from.toISOString()}::timestamptz and ts < ${range.to.toISOString()}::timestamptz
          and jsonb_typeof(data #> ${pathLiteral}::text[]) = 'number'
        group by 1
        order by 1`,
      );
      return rows.map((r) => ({
        t: new Date(r.t),
        avg: Number(r.avg),
        min: Number(r.min),
        max: Number(r.max),
        count: Number(r.count),
      }));
    },

    countOnline: async (since: Date) => {
      const [row] = await queryRows<{ n: number | string }>(
        db,
        sql`select count(*) as n from agents where status = 'approved' and last_seen_at >= ${since.toISOString()}::timestamptz`,
      );
      return Number(row?.n ?? 0);
    },
  };
}

export type MetricsRepository = ReturnType<typeof createMetricsRepository>;
