import { loadConfig } from '../config.js';
import { runMigrations } from '../db/migrate.js';
import { SEED_ADMIN_EMAIL, seed } from '../db/seed.js';
import { openConfiguredDatabase } from '../server.js';

export async function seedCommand(): Promise<void> {
  const config = loadConfig();
  const database = await openConfiguredDatabase(config);
  try {
    await runMigrations(database);
    const result = await seed(database.db, { adminPassword: process.env['SEED_ADMIN_PASSWORD'] });
    console.log(`Seeded: admin ${SEED_ADMIN_EMAIL}, ${result.agentIds.length} agents, ${result.roomIds.length} rooms.`);
    if (result.adminPassword && !process.env['SEED_ADMIN_PASSWORD']) {
      // Shown once: the hash is all that is stored.
      console.log(`Admin password (shown once): ${result.adminPassword}`);
    }
  } finally {
    await database.close();
  }
}
