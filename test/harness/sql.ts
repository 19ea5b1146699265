import type { SQL } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';

/** Rows of a raw query, the same on node-postgres and PGlite. */
export async function queryRows<T = Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return (result as { rows: T[] }).rows;
}

/** The SQLSTATE a rejected query failed with (drizzle wraps driver errors in `cause`). */
export async function sqlState(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    const own = (error as { code?: unknown }).code;
    const cause = ((error as { cause?: unknown }).cause as { code?: unknown } | undefined)?.code;
    const code = typeof own === 'string' ? own : cause;
    return typeof code === 'string' ? code : 'unknown';
  }
  return undefined;
}
