import { sql } from 'drizzle-orm';
import { queryRows, type Db } from './client.js';

/** Runs work unless another instance sharing the database is running the same work now. */
export type RunExclusive = <T>(lockId: number, work: () => Promise<T>) => Promise<T | 'skipped'>;

/**
 * Postgres: a transaction-scoped advisory lock held on one connection for as long as the work runs (the
 * work uses the pool as usual); the loser skips. Embedded PGlite serves one process, and a transaction held
 * open on its single connection would capture everyone's queries, so there the work just runs.
 */
export function exclusiveOver(db: Db, embedded: boolean): RunExclusive {
  return async (lockId, work) => {
    if (embedded) return work();
    return db.transaction(async (tx) => {
      const [lock] = await queryRows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${lockId}) as ok`);
      if (!lock?.ok) return 'skipped' as const;
      return work();
    });
  };
}
