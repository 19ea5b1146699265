// The bare multi-row INSERT loops bench:ingest compares ingestion with: no HTTP, no checks, the same rows.
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { FleetAgent } from './fleet.js';
import type { Database } from '../../src/db/client.js';
import { createMetricsRepository } from '../../src/modules/metrics/metrics.repository.js';
import { clock, SNAPSHOTS } from './ingest-bodies.js';

const PARSED = SNAPSHOTS.map((text) => JSON.parse(text) as Record<string, unknown>);

/** `size` rows as one VALUES list with its parameters, the agents taken in turn from `first`. */
function valuesOf(fleet: FleetAgent[], first: number, size: number, next: () => number) {
  const params: unknown[] = [];
  const values: string[] = [];
  for (let k = 0; k < size; k++) {
    const a = fleet[(first + k) % fleet.length]!;
    const o = params.length;
    values.push(`($${o + 1}, $${o + 2}, to_timestamp($${o + 3}), $${o + 4})`);
    params.push(a.agentId, a.serverId, next(), SNAPSHOTS[k % 64]);
  }
  return { text: `insert into bench_batch (agent_id, server_id, ts, data) values ${values.join(',')}`, params };
}

/** Postgres (timestamps in hour `slot`, see ingest-bodies.ts): `size` rows per statement, 4 statements in flight, for `seconds`. Rows per second. */
export async function barePostgresInserts(
  url: string,
  fleet: FleetAgent[],
  size: number,
  seconds: number,
  slot: number,
) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const next = clock(slot);
  let rows = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < end) {
        const { text, params } = valuesOf(fleet, rows, size, next);
        await pool.query(text, params);
        rows += size;
      }
    }),
  );
  await pool.end();
  return rows / seconds;
}

/**
 * PGlite, in this process: the server's own flush (the metrics repository's insertBatch, rows as the server holds
 * them after validation) and the bare multi-row insert of the same rows, `size` per statement, taking turns for
 * `seconds` so that the table's growth and the machine's noise fall on both alike. PGlite runs each statement on
 * this thread, so the time in it is CPU. Answers each one's µs per row and the bare loop's rows per second.
 */
export async function pgliteFlushVersusBare(
  database: Database,
  fleet: FleetAgent[],
  size: number,
  seconds: number,
  slots: { flush: number; bare: number },
) {
  const repository = createMetricsRepository({ db: database.db });
  const lite = database.pglite!;
  const nextFlush = clock(slots.flush);
  const nextBare = clock(slots.bare);
  let rows = 0;
  let inFlush = 0;
  let inBare = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const batch = Array.from({ length: size }, (_, k) => {
      const a = fleet[(rows + k) % fleet.length]!;
      return { agent_id: a.agentId, server_id: a.serverId, ts: nextFlush(), data: PARSED[k % 64]! };
    });
    let t = performance.now();
    await repository.insertBatch(batch, []);
    inFlush += performance.now() - t;
    const { text, params } = valuesOf(fleet, rows, size, nextBare);
    t = performance.now();
    await lite.query(text, params);
    inBare += performance.now() - t;
    rows += size;
  }
  return {
    flushUsPerRow: (inFlush * 1000) / rows,
    bareUsPerRow: (inBare * 1000) / rows,
    bareRowsPerSecond: (rows * 1000) / inBare,
  };
}

/** PGlite, in this process: `size` rows per statement, one at a time, for `seconds`. Rows per second. */
export async function barePgliteInserts(
  lite: PGlite,
  fleet: FleetAgent[],
  size: number,
  seconds: number,
  slot: number,
) {
  const next = clock(slot);
  let rows = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    const { text, params } = valuesOf(fleet, rows, size, next);
    await lite.query(text, params);
    rows += size;
  }
  return (rows * 1000) / (performance.now() - started);
}
