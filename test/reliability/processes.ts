import pg from 'pg';
import { spawnCli, type CliProcess } from '../harness/cli.js';
import { adminUrl } from '../harness/postgres.js';

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
