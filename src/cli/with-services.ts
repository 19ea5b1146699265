import { loadConfig } from '../config.js';
import type { Services } from '../services.js';

/** Opens the configured database (migrated), builds the services, runs `work`, closes. */
export async function withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
  // Loaded here, not at the top: `agenthub --help` and `agenthub agent ...` never need the server.
  const [
    { default: pino },
    { runMigrations },
    { AppEventBus },
    { createMetrics },
    { openConfiguredDatabase },
    { createServices },
  ] = await Promise.all([
    import('pino'),
    import('../db/migrate.js'),
    import('../lib/events.js'),
    import('../observability/metrics.js'),
    import('../server.js'),
    import('../services.js'),
  ]);
  const config = loadConfig();
  const database = await openConfiguredDatabase(config);
  try {
    await runMigrations(database);
    // Structured logs go to stderr, so stdout carries only what the command prints.
    const log = pino({ level: config.LOG_LEVEL }, pino.destination(2));
    const services = createServices({
      config,
      db: database.db,
      embedded: database.kind === 'pglite',
      log,
      events: new AppEventBus(),
      metrics: createMetrics(),
    });
    return await work(services);
  } finally {
    await database.close();
  }
}
