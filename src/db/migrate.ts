import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { sql } from 'drizzle-orm';
import { migrationsFolder } from '../lib/paths.js';
import type { Database } from './client.js';

// Any constant works; it only has to be the same in every AgentHub instance.
const MIGRATION_LOCK_ID = 0x41_47_48_42; // "AGHB"

/** Applies pending migrations. On Postgres, an advisory lock makes concurrent starts safe. */
export async function runMigrations(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder });
    return;
  }
  await database.db.transaction(async (tx) => {
    // Transaction-scoped: released on commit, even if this process dies mid-way.
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    await migratePg(tx as unknown as NodePgDatabase, { migrationsFolder });
  });
}
