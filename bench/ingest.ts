// npm run bench:ingest — AgentHub ingestion against its baselines on the same machine, in one run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { testConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { barePgliteInserts, barePostgresInserts, pgliteFlushVersusBare } from './lib/bare-inserts.js';
import { createBulkFleet } from './lib/bulk-fleet.js';
import { createFleet, type FleetAgent } from './lib/fleet.js';
import { measureCpu, perRequestUs } from './lib/cpu.js';
import {
  baselineSnapshots,
  clock,
  sampleBatches,
  singleSnapshots,
  slotRange,
  type NextRequest,
} from './lib/ingest-bodies.js';
import { ingestReport, type Measured, type PgliteRuns, type PostgresRuns } from './lib/ingest-report.js';
import { runLoad } from './lib/load.js';
import { BENCH_SECRETS as SECRETS, freePort, startProcess, withDb, type ServerProcess } from './lib/processes.js';
import { flushesBetween, flushStats } from './lib/server-metrics.js';
import { replaySpools } from './lib/spool-replay.js';
import { lineProtocolRequests, otlpRequests, jsonRequests } from './lib/stock-formats.js';
import { writeSection } from './lib/report.js';

const ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DURATION = Number(process.env['BENCH_DURATION'] ?? 10);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 3);
const CONNECTIONS = 50;
const AGENTS = Number(process.env['BENCH_AGENTS'] ?? 50);
const FLEET = Number(process.env['BENCH_FLEET'] ?? 10_000);
const BATCH = 100;
const SPOOLED = 1000;
const root = join(import.meta.dirname, '..');

/** Each run's timestamps take their own hour (ingest-bodies.ts), so its rows can be counted afterwards. */
const SLOT = {
  single: 0,
  batch: 1,
  bare: 2,
  gatherJson: 3,
  gatherLp: 4,
  gatherOtlp: 5,
  fleet: 6,
  replay: 7,
  bareBatch: 8,
  flushLoop: 9,
} as const;

async function count(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ n: string }>(sql);
  await client.end();
  return Number(rows[0]?.n ?? 0);
}

const inSlot = (slot: number) => {
  const { from, to } = slotRange(slot);
  return `select count(*) as n from metrics_data where ts >= to_timestamp(${from}) and ts < to_timestamp(${to})`;
};

async function agentHubProcess(env: Record<string, string>) {
  const port = await freePort();
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server under load.
  const nodeArgs = process.env['BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  return startProcess(process.execPath, [...nodeArgs, join(root, 'bin/agenthub.js'), 'serve'], {
    port,
    env: {
      ...SECRETS,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      RATE_LIMIT_AUTHENTICATED: '100000000',
      ...env,
    },
  });
}

/**
 * One measured run. Every server first takes WARMUP seconds of the same load (JIT, connection pools,
 * prepared statements), then `rows` counts what is stored before and after the measured part. A server
 * that holds its database (PGlite) is counted after it stops: `countWarmup` then keeps the warm-up's
 * answered and sent requests for the durability check.
 */
async function run(
  label: string,
  server: ServerProcess,
  path: string,
  next: NextRequest,
  {
    rows,
    countWarmup = false,
    warmup = WARMUP,
  }: { rows?: () => Promise<number>; countWarmup?: boolean; warmup?: number } = {},
): Promise<Measured> {
  console.log(`running ${label} for ${warmup} + ${DURATION} s...`);
  const load = { label, url: server.url + path, connections: CONNECTIONS, next };
  const warm = warmup > 0 ? await runLoad({ ...load, durationSeconds: warmup }) : undefined;
  await setTimeout(500); // the warm-up's last requests settle before `rows` counts
  const before = rows ? await rows() : 0;
  const flushesBefore = await flushStats(server.url).catch(() => undefined);
  const cpu = measureCpu(server.child.pid);
  const result = await runLoad({ ...load, durationSeconds: DURATION });
  const used = cpu();
  const flushesAfter = flushesBefore && (await flushStats(server.url));
  return {
    ...result,
    cpu: perRequestUs(used, result.ok),
    stored: rows ? (await rows()) - before : undefined,
    ...(countWarmup && warm ? { warm: { ok: warm.ok, sent: warm.sent } } : {}),
    ...(flushesBefore && flushesAfter ? { flushes: flushesBetween(flushesBefore, flushesAfter) } : {}),
  };
}

async function withServer<T>(start: Promise<ServerProcess>, body: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await start;
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

async function postgresRuns(url: string, fleet: FleetAgent[], bigFleet: FleetAgent[]): Promise<PostgresRuns> {
  const table = (name: string) => () => count(url, `select count(*) as n from ${name}`);
  const start = (file: string) =>
    freePort().then((port) =>
      startProcess(process.execPath, ['--import', 'tsx', join(root, 'bench/servers', file)], {
        port,
        env: { DATABASE_URL: url },
      }),
    );
  const bare = await withServer(start('bare.ts'), (s) =>
    run('bare Fastify (parse + return)', s, '/ingest', baselineSnapshots(fleet, SLOT.single)),
  );
  const oneInsert = await withServer(start('pg-insert.ts'), (s) =>
    run('Fastify + pg, 1 INSERT/request', s, '/ingest', baselineSnapshots(fleet, SLOT.single), {
      rows: table('bench_metrics'),
    }),
  );
  const reference = await withServer(start('pg-group-commit.ts'), (s) =>
    run('hand-written group commit (reference)', s, '/ingest', baselineSnapshots(fleet, SLOT.single), {
      rows: table('bench_group'),
    }),
  );
  const rows = (slot: number) => () => count(url, inSlot(slot));
  const hub = await withServer(agentHubProcess({ DATABASE_URL: url }), async (s) => {
    const single = await run(
      'AgentHub POST /api/v1/metrics',
      s,
      '/api/v1/metrics',
      singleSnapshots(fleet, SLOT.single),
      {
        rows: rows(SLOT.single),
      },
    );
    const fleetRun = await run(
      `AgentHub, ${bigFleet.length.toLocaleString('en-US')} agents`,
      s,
      '/api/v1/metrics',
      singleSnapshots(bigFleet, SLOT.fleet),
      // Long enough for every agent of the fleet to have been seen before the measured part.
      { rows: rows(SLOT.fleet), warmup: Math.max(WARMUP, 8) },
    );
    const batch = await run(
      `AgentHub, ${BATCH} samples/request`,
      s,
      '/api/v1/metrics',
      sampleBatches(fleet, SLOT.batch, BATCH),
      {
        rows: rows(SLOT.batch),
      },
    );
    console.log('replaying spools...');
    const replay = await replaySpools(s.url, fleet, SPOOLED, SLOT.replay);
    const replayStored = await count(url, inSlot(SLOT.replay));
    // Stock-agent formats on the same data: one Telegraf-sized gather (50 lines) per request, one snapshot each.
    const gatherJson = await run(
      'AgentHub JSON, one 50-line gather/request',
      s,
      '/api/v1/metrics',
      jsonRequests(fleet, clock(SLOT.gatherJson)),
      {
        rows: rows(SLOT.gatherJson),
      },
    );
    const gatherLp = await run(
      'AgentHub line protocol, 50 lines/request',
      s,
      '/api/v2/write?precision=ms',
      lineProtocolRequests(fleet, clock(SLOT.gatherLp)),
      {
        rows: rows(SLOT.gatherLp),
      },
    );
    const gatherOtlp = await run(
      'AgentHub OTLP/JSON, the same gather',
      s,
      '/v1/metrics',
      otlpRequests(fleet, clock(SLOT.gatherOtlp)),
      {
        rows: rows(SLOT.gatherOtlp),
      },
    );
    return { single, fleetRun, batch, replay: { ...replay, stored: replayStored }, gatherJson, gatherLp, gatherOtlp };
  });
  console.log('running bare multi-row insert loop...');
  const bareInsertRowsPerSecond = await barePostgresInserts(url, fleet, BATCH, DURATION, SLOT.bare);
  return { bare, oneInsert, reference, ...hub, bareInsertRowsPerSecond };
}

async function pgliteRuns(config: ReturnType<typeof testConfig>): Promise<PgliteRuns> {
  const dir = mkdtempSync(join(tmpdir(), 'agenthub-bench-'));
  const dataDir = join(dir, 'pglite');
  try {
    // Agents are created in this process first: one process may hold the data directory at a time.
    let lite: Database = await openDatabase({ dataDir });
    await runMigrations(lite);
    const fleet = await createFleet(lite, config, AGENTS);
    await lite.close();
    const hub = await withServer(agentHubProcess({ DATA_DIR: dir }), async (s) => {
      const single = await run('AgentHub on PGlite', s, '/api/v1/metrics', singleSnapshots(fleet, SLOT.single), {
        countWarmup: true,
      });
      const batch = await run(
        `AgentHub on PGlite, ${BATCH} samples/request`,
        s,
        '/api/v1/metrics',
        sampleBatches(fleet, SLOT.batch, BATCH),
        {
          countWarmup: true,
        },
      );
      console.log('replaying spools (PGlite)...');
      const replay = await replaySpools(s.url, fleet, SPOOLED, SLOT.replay);
      return { single, batch, replay };
    });
    // The server has stopped: its rows are counted, then the bare loop runs on the same database.
    lite = await openDatabase({ dataDir });
    const rowsIn = async (slot: number) => {
      const { from, to } = slotRange(slot);
      const result = await lite.pglite!.query<{ n: string }>(
        'select count(*) as n from metrics_data where ts >= to_timestamp($1) and ts < to_timestamp($2)',
        [from, to],
      );
      return Number(result.rows[0]?.n ?? 0);
    };
    hub.single.stored = await rowsIn(SLOT.single);
    hub.batch.stored = await rowsIn(SLOT.batch);
    const replayStored = await rowsIn(SLOT.replay);
    await lite.exec('create table bench_batch (like metrics_data including defaults, primary key (agent_id, ts))');
    // The server's flush and the bare insert of the same rows, in statements of the size its flushes had.
    const flushRows = hub.single.flushes
      ? Math.max(1, Math.round(hub.single.flushes.rows / hub.single.flushes.flushes))
      : BATCH;
    console.log(
      `running PGlite flush against the bare insert (${flushRows} rows/statement), then the bare loop (${BATCH})...`,
    );
    const flushVersusBare = await pgliteFlushVersusBare(lite, fleet, flushRows, DURATION, {
      flush: SLOT.flushLoop,
      bare: SLOT.bare,
    });
    const bareBatchRowsPerSecond = await barePgliteInserts(lite.pglite!, fleet, BATCH, DURATION, SLOT.bareBatch);
    await lite.close();
    return {
      ...hub,
      replay: { ...hub.replay, stored: replayStored },
      flushRows,
      flushVersusBare,
      bareBatchRowsPerSecond,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const benchDb = `agenthub_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database "${benchDb}"`);
  const url = withDb(ADMIN_URL, benchDb);
  const config = testConfig({ jwtSecret: SECRETS.JWT_SECRET, cookieSecret: SECRETS.COOKIE_SECRET });
  try {
    const database = await openDatabase({ url });
    await runMigrations(database);
    for (const name of ['bench_metrics', 'bench_batch', 'bench_group'])
      await database.exec(`create table ${name} (like metrics_data including defaults, primary key (agent_id, ts))`);
    console.log(`creating ${AGENTS} agents, then a fleet of ${FLEET}...`);
    const fleet = await createFleet(database, config, AGENTS);
    const bigFleet = (await createBulkFleet(database, config, FLEET, {})).agents;
    await database.close();

    const postgres = await postgresRuns(url, fleet, bigFleet);
    const pglite = await pgliteRuns(config);
    const md = ingestReport(postgres, pglite, {
      connections: CONNECTIONS,
      warmup: WARMUP,
      duration: DURATION,
      agents: AGENTS,
      fleet: bigFleet.length,
      batch: BATCH,
      spooled: SPOOLED,
      pgVersion: process.env['BENCH_PG_VERSION'] ?? 'local',
    });
    console.log(`\n${md}\n`);
    writeSection('ingest', md);
  } finally {
    await admin.query(`drop database if exists "${benchDb}" with (force)`);
    await admin.end();
  }
}

await main();
