import { Writable } from 'node:stream';
import { buildApp, type App } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import type { RouteModule } from '../../src/http/route-module.js';
import { closeApp } from '../../src/server.js';
import { createTestDatabase } from './database.js';

export interface TestApp extends App {
  database: Database;
  config: Config;
  /** Every log line the app wrote (only when captureLogs was set). */
  logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  config?: Partial<Config>;
  /** Reuse a database (e.g. to restart an app on the same data). */
  database?: Database;
  captureLogs?: boolean;
  extraRoutes?: RouteModule[];
}

/** A real app on a fresh migrated database, not listening; call `app.inject`. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const logs: string[] = [];
  const config = testConfig({ ...(options.captureLogs ? { LOG_LEVEL: 'trace' as const } : {}), ...options.config });
  const logStream = options.captureLogs
    ? new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logs.push(chunk.toString());
          callback();
        },
      })
    : undefined;
  const built = await buildApp({
    config,
    database,
    ...(logStream ? { logStream } : {}),
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
  });
  return {
    ...built,
    database,
    config,
    logs,
    close: async () => {
      await closeApp(built.app);
      if (!options.database) await database.close();
    },
  };
}

/** Same, listening on an ephemeral port: for real HTTP clients and socket.io. */
export async function startTestServer(
  options: TestAppOptions & { port?: number } = {},
): Promise<TestApp & { url: string }> {
  const { port = 0, ...rest } = options;
  const testApp = await createTestApp(rest);
  try {
    const address = await testApp.app.listen({ host: '127.0.0.1', port });
    return { ...testApp, url: address };
  } catch (error) {
    await testApp.close();
    throw error;
  }
}
