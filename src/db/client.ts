import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema/index.js';

/** One Drizzle type over both drivers: services and repositories never know which one runs. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Runs raw SQL (several statements allowed on PGlite; one per call on pg). */
  exec(sql: string): Promise<void>;
  /** Cheap round-trip used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** True once close() has been called. */
  readonly closed: boolean;
  /** The embedded instance, for data-dir dumps (backups, test snapshots). */
  pglite?: PGlite;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent, PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; undefined or 'memory://' keeps it in memory. */
  dataDir?: string | undefined;
  /** PGlite: start from a dumped data-dir tarball (test snapshots). */
  loadDataDir?: Blob | undefined;
  poolMax?: number;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.poolMax ?? 20) : openPglite(options);
}

function openPostgres(url: string, max: number): Database {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
  // A dropped idle connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  let closed = false;
  return {
    db,
    kind: 'postgres',
    exec: async (sql) => {
      await pool.query(sql);
    },
    ping: async () => {
      await pool.query('select 1');
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
    get closed() {
      return closed;
    },
  };
}

async function openPglite(options: OpenDatabaseOptions): Promise<Database> {
  const client = await PGlite.create({
    ...(options.dataDir && options.dataDir !== 'memory://' ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  let closed = false;
  return {
    db,
    kind: 'pglite',
    pglite: client,
    exec: async (sql) => {
      await client.exec(sql);
    },
    ping: async () => {
      await client.query('select 1');
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
    },
    get closed() {
      return closed;
    },
  };
}

/** Rows of a raw SQL query, on either driver (both answer `{ rows }`), in a transaction or not. */
export async function queryRows<T extends Record<string, unknown>>(
  executor: Pick<Db, 'execute'>,
  query: SQL,
): Promise<T[]> {
  // Both drivers answer `{ rows }`; drizzle's generic result type does not say so.
  const result: unknown = await executor.execute<T>(query);
  return (result as { rows: T[] }).rows;
}
