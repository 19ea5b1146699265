import { mkdirSync } from 'node:fs';
import closeWithGrace from 'close-with-grace';
import { buildApp, type App } from './app.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { maintainMetricsPartitions } from './modules/metrics/metrics-maintenance.js';
import type { AppInstance } from './http/route-module.js';

export interface RunningServer extends App {
  database: Database;
  url: string;
  /** Stops accepting, finishes in-flight work, closes sockets and the database. */
  close(): Promise<void>;
}

export async function openConfiguredDatabase(config: Config): Promise<Database> {
  // In production no generated secret has created DATA_DIR yet; PGlite needs its parent to exist.
  if (!config.databaseUrl) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return openDatabase({
    url: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir + '/pglite',
    poolMax: config.DATABASE_POOL_MAX,
  });
}

/**
 * Stops accepting, lets in-flight requests finish, then runs the app's close hooks.
 * Node closes idle keep-alive sockets only once, when close starts: a socket whose
 * response completes afterwards would hold close() open until keepAliveTimeout
 * (longer than the shutdown grace period), so idle sockets are swept until done.
 */
export async function closeApp(app: AppInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}

/** Opens the database, migrates, builds the app and listens. */
export async function startServer(config: Config): Promise<RunningServer> {
  const database = await openConfiguredDatabase(config);
  let built: App | undefined;
  try {
    if (config.MIGRATE_ON_START) await runMigrations(database);
    built = await buildApp({ config, database });
    for (const note of config.notes) built.app.log.warn(note);
    // Before listening: a sample ingested while a partition is being attached fails (see insertBatch).
    await maintainMetricsPartitions(built.ctx);
    await built.app.listen({ host: config.HOST, port: config.PORT });
    const address = built.app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const url = config.PUBLIC_URL ?? `http://localhost:${port}`;
    await announceFirstRun(built);
    let closing: Promise<void> | undefined;
    const { app } = built;
    return {
      ...built,
      database,
      url,
      close: () =>
        (closing ??= (async () => {
          await closeApp(app);
          await database.close();
        })()),
    };
  } catch (error) {
    // A failure after the app was built (partition maintenance, a port in use) stops its jobs, Redis
    // connections and sockets too, so an embedding process is left with nothing running.
    if (built) await closeApp(built.app).catch(() => undefined);
    await database.close();
    throw error;
  }
}

/**
 * With no users yet, print one line with a one-time link that creates the
 * first admin, so a fresh `npm start` leads a person straight in. It is shown
 * on stdout only, never in the structured log.
 */
async function announceFirstRun({ ctx }: App): Promise<void> {
  const link = await ctx.services.magicLinks.issueBootstrapLink();
  if (!link) return;
  process.stdout.write(
    `\nFirst run: open ${link.url} to create the administrator (one-time link, valid until ${link.expiresAt.toISOString()}).\n\n`,
  );
}

/** Runs until SIGTERM/SIGINT, then shuts down gracefully within SHUTDOWN_TIMEOUT_MS. */
export async function runServer(config: Config): Promise<RunningServer> {
  const server = await startServer(config);
  server.app.log.info({ url: server.url, database: server.database.kind }, `AgentHub listening on ${server.url}`);
  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) server.app.log.error({ err }, 'shutting down after an error');
    else server.app.log.info({ signal }, 'shutting down');
    await server.close();
  });
  return server;
}
