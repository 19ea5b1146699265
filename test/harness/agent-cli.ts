import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../src/db/client.js';
import type { UserActor } from '../../src/identity/actor.model.js';
import { createTestApp, type TestApp, type TestAppOptions } from './app.js';
import { runCli, spawnCli, type CliProcess, type CliResult } from './cli.js';
import { createTestDatabase } from './database.js';
import { approveJson, denyViaPages } from './devices.js';
import { createUser, signInAdmin, type Person } from './identity.js';

export { waitFor } from './sdk.js';

/** The person who links agents: signed in over HTTP (`person`), and as services see them (`actor`). */
export interface Owner {
  person: Person;
  actor: UserActor;
}

/** Signs in the first admin of a fresh server, then creates and signs in an enterprise-plan owner. */
export async function createOwner(app: TestApp): Promise<Owner> {
  const person = await createUser(app, await signInAdmin(app), { plan: 'enterprise' });
  const user = {
    id: person.id,
    email: person.email,
    name: person.name,
    role: 'user' as const,
    plan: 'enterprise' as const,
  };
  return { person, actor: { kind: 'user', user, sessionId: 'test-session', teams: new Map() } };
}

/** A JSON request to the server's API as `owner` (their session cookie); throws unless it succeeds. */
export async function asOwner(
  server: { app: TestApp },
  owner: Owner,
  method: 'POST' | 'DELETE',
  url: string,
): Promise<void> {
  const res = await server.app.app.inject({ method, url, headers: owner.person.headers });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
}

/** A listening server that can be stopped and started again on the same port and database. */
export interface RestartableServer {
  readonly url: string;
  readonly port: number;
  /** The app currently running (the last one, while stopped). */
  readonly app: TestApp;
  readonly database: Database;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRestartableServer(
  options: Omit<TestAppOptions, 'database'> = {},
): Promise<RestartableServer> {
  const database = await createTestDatabase();
  let app = await createTestApp({ ...options, database });
  const url = await app.app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(url).port);
  let running = true;
  return {
    url,
    port,
    get app() {
      return app;
    },
    database,
    async stop() {
      running = false;
      await app.close();
    },
    async start() {
      app = await createTestApp({ ...options, database });
      // The port was just released; a moment of EADDRINUSE is possible on a busy machine.
      for (let attempt = 0; ; attempt++) {
        try {
          await app.app.listen({ host: '127.0.0.1', port });
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      running = true;
    },
    async close() {
      if (running) await app.close();
      await database.close();
    },
  };
}

/** The agent CLI's environment: only its config dir (HOME and PATH come from the harness). */
export function agentEnv(configDir: string): Record<string, string> {
  return { AGENTHUB_CONFIG_DIR: configDir };
}

export function agentCli(configDir: string, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return runCli(['agent', ...args], agentEnv(configDir), timeoutMs);
}

export function spawnAgentCli(configDir: string, args: string[]): CliProcess {
  return spawnCli(['agent', ...args], agentEnv(configDir));
}

const USER_CODE_LINE = /^\s+([B-Z]{4}-[B-Z]{4})\s*$/;

/**
 * Runs the real `agenthub agent link` and, as soon as it prints the code, approves it
 * over the API (or denies it on the /link page). Returns the CLI's result and the new agent's id.
 */
export async function linkWithCli(
  server: { url: string; app: TestApp },
  owner: Owner,
  configDir: string,
  options: { serverId: string; extra?: string[]; decide?: 'approve' | 'deny' },
): Promise<{ result: CliResult; agentId: string | undefined; userCode: string }> {
  const cli = spawnAgentCli(configDir, [
    'link',
    '--server',
    server.url,
    '--server-id',
    options.serverId,
    ...(options.extra ?? []),
  ]);
  const line = await cli.waitForLine(USER_CODE_LINE, 60_000);
  const userCode = USER_CODE_LINE.exec(line)?.[1] ?? '';
  let agentId: string | undefined;
  if (options.decide === 'deny') await denyViaPages(server.app, owner.person, userCode);
  else {
    const approved = await approveJson(server.app, owner.person, { user_code: userCode });
    if (approved.statusCode !== 200) throw new Error(`approval failed: ${approved.statusCode} ${approved.body}`);
    agentId = approved.json<{ agent_id: string }>().agent_id;
  }
  return { result: await cli.exited(60_000), agentId, userCode };
}

/** Snapshots stored for one agent, and how many distinct timestamps they have. */
export async function storedSnapshots(
  database: Database,
  agentId: string,
): Promise<{ rows: number; distinct: number }> {
  const [row] = await queryRows<{ rows: number; distinct: number }>(
    database.db,
    sql`select count(*)::int as rows, count(distinct ts)::int as "distinct" from metrics_data where agent_id = ${agentId}`,
  );
  return row ?? { rows: 0, distinct: 0 };
}

/** Entries waiting in the agent's on-disk spool. */
export function spoolDepth(configDir: string): number {
  let entries = 0;
  try {
    for (const name of readdirSync(join(configDir, 'spool')))
      entries += readFileSync(join(configDir, 'spool', name), 'utf8')
        .split('\n')
        .filter(Boolean).length;
  } catch {
    return 0;
  }
  return entries;
}

/** The `{"event":"summary",...}` line `agenthub agent run` prints when it stops. */
export function runSummary(stdout: string): Record<string, number> {
  const line = stdout.split('\n').find((l) => l.startsWith('{"event":"summary"'));
  if (!line) throw new Error(`no summary line in:\n${stdout}`);
  return JSON.parse(line) as Record<string, number>;
}
