import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { spawnCli, type CliProcess } from '../harness/cli.js';
import { withDatabase } from '../harness/global-setup.js';
import { adminUrl } from '../harness/postgres.js';
import { makeTempDir } from '../harness/temp-dir.js';

export const SECRETS = {
  JWT_SECRET: 'reliability-jwt-secret-0123456789abcdefghij',
  COOKIE_SECRET: 'reliability-cookie-secret-0123456789abcdefg',
};

export type ServerProcess = CliProcess;

/** `agenthub serve` as a real process (the CLI through tsx), resolved once /readyz answers 200. */
export async function startServer(env: Record<string, string>, base: string): Promise<ServerProcess> {
  const server = spawnCli(['serve'], env);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (server.child.exitCode !== null) throw new Error(`server exited: ${server.stderr}`);
    if (Date.now() > deadline) throw new Error(`server did not become ready: ${server.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One statement on the maintenance database of TEST_DATABASE_URL's server (create/drop database). */
export async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl(url) });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * The database a reliability test's server processes share: a fresh Postgres database when
 * TEST_DATABASE_URL is set, else an embedded PGlite data directory (both survive the server).
 */
export function reliabilityStore(label: string) {
  const postgres = process.env['TEST_DATABASE_URL'];
  const dataDir = makeTempDir(label);
  const url = postgres ? withDatabase(postgres, `agenthub_${label}_${randomBytes(4).toString('hex')}`) : undefined;
  const name = url ? new URL(url).pathname.slice(1) : '';
  const open = (): Promise<Database> => openDatabase(url ? { url } : { dataDir: join(dataDir.path, 'pglite') });
  return {
    /** The Postgres URL of this store (undefined on PGlite). */
    url,
    /** The server's DATA_DIR (the embedded database lives under it). */
    dataDir: dataDir.path,
    open,
    /** Creates the database and migrates it; the caller seeds it and closes it before a server opens it. */
    async prepare(): Promise<Database> {
      if (postgres) await adminQuery(postgres, `create database "${name}"`);
      const database = await open();
      await runMigrations(database);
      return database;
    },
    /** The environment of `agenthub serve` on this store, in production mode. */
    serverEnv: (port: number): Record<string, string> => ({
      ...SECRETS,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir.path,
      RATE_LIMIT_AUTHENTICATED: '1000000',
      ...(url ? { DATABASE_URL: url } : {}),
    }),
    async remove(): Promise<void> {
      if (postgres) await adminQuery(postgres, `drop database if exists "${name}" with (force)`);
      dataDir.remove();
    },
  };
}
