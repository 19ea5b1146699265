// The bare multi-row INSERT loops bench:ingest compares ingestion with: no HTTP, no checks, the same rows.
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { FleetAgent } from './fleet.js';
import { clock, SNAPSHOTS } from './ingest-bodies.js';

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
 * PGlite, in this process: `size` rows per statement, one at a time (PGlite runs one), for `seconds`.
 * Answers rows per second and the statement's time per row (the loop does nothing else, and PGlite runs
 * the statement on this thread, so that time is CPU).
 */
export async function barePgliteInserts(
  lite: PGlite,
  fleet: FleetAgent[],
  size: number,
  seconds: number,
  slot: number,
) {
  const next = clock(slot);
  let rows = 0;
  let inStatement = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    const { text, params } = valuesOf(fleet, rows, size, next);
    const t = performance.now();
    await lite.query(text, params);
    inStatement += performance.now() - t;
    rows += size;
  }
  return { rowsPerSecond: (rows * 1000) / (performance.now() - started), usPerRow: (inStatement * 1000) / rows };
}
