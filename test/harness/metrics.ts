import { Readable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../src/db/client.js';
import type { RouteModule } from '../../src/http/route-module.js';
import type { TestApp } from './app.js';
import { bearer, createAgentWithToken, exchange, type AgentWithToken, type Person } from './identity.js';

/** An agent as it ingests: its identity, its API token and an access JWT exchanged for it. */
export interface IngestingAgent extends AgentWithToken {
  jwt: string;
  serverId: string;
}

let serverCounter = 0;

/** Creates an agent (owned by `owner`, default the admin) and exchanges its API token for an access JWT. */
export async function createIngestingAgent(
  t: TestApp,
  admin: Person,
  options: { owner?: Person; serverId?: string; teamId?: string } = {},
): Promise<IngestingAgent> {
  serverCounter += 1;
  const serverId = options.serverId ?? `srv-metrics-${serverCounter}`;
  const created = await createAgentWithToken(t, admin, {
    serverId,
    ...(options.owner ? { owner: options.owner, issuer: options.owner } : {}),
    ...(options.teamId ? { teamId: options.teamId } : {}),
  });
  return { ...created, serverId, jwt: await exchange(t, created.token) };
}

/** Now in unix seconds, whole. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** POST /api/v1/metrics with the agent's JWT; `payload` may be a Buffer (gzip) with its own headers. */
export function ingest(
  t: TestApp,
  jwt: string,
  payload: object | Buffer | string,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: '/api/v1/metrics', headers: { ...bearer(jwt), ...headers }, payload });
}

/** Rows in metrics_data, of one agent or of all. */
export async function countMetricRows(t: TestApp, agentId?: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    t.database.db,
    agentId
      ? sql`select count(*)::int as n from metrics_data where agent_id = ${agentId}`
      : sql`select count(*)::int as n from metrics_data`,
  );
  return row?.n ?? 0;
}

/** The stored snapshots of one agent, oldest first, with ts in unix seconds. */
export async function storedSamples(
  t: TestApp,
  agentId: string,
): Promise<{ ts: number; data: Record<string, unknown> }[]> {
  const rows = await queryRows<{ ts: number | string; data: Record<string, unknown> }>(
    t.database.db,
    sql`select extract(epoch from ts)::float8 as ts, data from metrics_data where agent_id = ${agentId} order by ts`,
  );
  return rows.map((r) => ({ ts: Number(r.ts), data: r.data }));
}

/** The series of one Prometheus metric family in GET /metrics, as `labels -> value`. */
export async function scrape(t: TestApp, name: string): Promise<Map<string, number>> {
  const res = await t.app.inject('/metrics');
  if (res.statusCode !== 200) throw new Error(`GET /metrics failed: ${res.statusCode}`);
  const found = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) found.set(match[2] ?? '', Number(match[3]));
  }
  return found;
}

/** A promise the test opens when it chooses. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Counts ingest requests that are past authentication and about to read their body: with the
 * bodies held back by the test, that is the moment every request is known to be in the server.
 */
export function arrivals() {
  let count = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  const routes: RouteModule = (app) => {
    app.addHook('preParsing', async (request, _reply, payload) => {
      if (request.method !== 'POST' || request.url !== '/api/v1/metrics') return payload;
      count += 1;
      for (const waiter of waiting.filter((w) => count >= w.n)) waiter.resolve();
      return payload;
    });
  };
  const reach = (n: number) =>
    count >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve }));
  return { routes, reach };
}

/** A request body that is sent only once `opened` resolves. */
export function heldBody(text: string, opened: Promise<void>): Readable {
  let started = false;
  return new Readable({
    read() {
      if (started) return;
      started = true;
      void opened.then(() => {
        this.push(text);
        this.push(null);
      });
    },
  });
}

/**
 * Makes commits slow on purpose: a transaction holds metrics_data locked (on PGlite, its one
 * connection) until released. PGlite runs statements in-process, so without it each request
 * would commit before the next one reached the buffer and nothing would overlap.
 */
export async function holdCommits(database: Database): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const held = database.db.transaction(async (tx) => {
    await tx.execute(sql`lock table metrics_data in access exclusive mode`);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await held;
  };
}
