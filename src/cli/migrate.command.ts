import { loadConfig } from '../config.js';
import { runMigrations } from '../db/migrate.js';
import { openConfiguredDatabase } from '../server.js';

export async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const database = await openConfiguredDatabase(config);
  try {
    await runMigrations(database);
    console.log(`Migrations applied (${database.kind}).`);
  } finally {
    await database.close();
  }
}
