// npm run bench:ingest — AgentHub ingestion against two baselines on the same machine, in one run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { testConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { createFleet, snapshot, type FleetAgent } from './lib/fleet.js';
import { measureCpu, perRequest } from './lib/cpu.js';
import {
  jsonRequests,
  LINES_PER_GATHER,
  lineProtocolRequests,
  otlpRequests,
  pointsPerGather,
} from './lib/stock-formats.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { BENCH_SECRETS as SECRETS, freePort, startProcess, withDb, type ServerProcess } from './lib/processes.js';
import { fmt, machineLine, table, writeSection } from './lib/report.js';

const ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DURATION = Number(process.env['BENCH_DURATION'] ?? 10);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 3);
const CONNECTIONS = 50;
const AGENTS = Number(process.env['BENCH_AGENTS'] ?? 50);
const BATCH = 100;
const root = join(import.meta.dirname, '..');

type Measured = LoadResult & { cpu: string; stored: number | undefined };

async function count(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ n: string }>(`select count(*) as n from ${table}`);
  await client.end();
  return Number(rows[0]?.n ?? 0);
}

/**
 * Unique timestamps (1 ms apart) so every acknowledged sample is a distinct row. Runs that write to the same table
 * take different hours of the last day (`slot`), so one run's timestamps never collide with another's.
 */
function clock(slot = 0) {
  let seq = 0;
  const base = Date.now() / 1000 - 86_400 + slot * 3600;
  return () => base + seq++ / 1000;
}

/**
 * The load generator shares the 2 cores with the server under test, so its own work per request is kept
 * small in every run alike: snapshots are serialised once (64 variants) and each body splices a fresh
 * timestamp between prepared pieces, which is byte for byte what JSON.stringify would produce.
 */
const SNAPSHOTS = Array.from({ length: 64 }, (_, k) => JSON.stringify(snapshot(k)));

function agentHubSingle(fleet: FleetAgent[]) {
  const next = clock();
  const heads = fleet.map((a) => `{"server_id":${JSON.stringify(a.serverId)},"timestamp":`);
  const auth = fleet.map((a) => ({ authorization: `Bearer ${a.jwt}` }));
  let i = 0;
  return () => {
    const k = i++ % fleet.length;
    return { body: `${heads[k]}${next()},"metrics":${SNAPSHOTS[i % 64]}}`, headers: auth[k]! };
  };
}

function agentHubBatch(fleet: FleetAgent[]) {
  const next = clock(1);
  const heads = fleet.map((a) => `{"server_id":${JSON.stringify(a.serverId)},"samples":[`);
  const auth = fleet.map((a) => ({ authorization: `Bearer ${a.jwt}` }));
  let i = 0;
  return () => {
    const k = i++ % fleet.length;
    const samples = Array.from(
      { length: BATCH },
      (_, s) => `{"timestamp":${next()},"metrics":${SNAPSHOTS[(i + s) % 64]}}`,
    );
    return { body: `${heads[k]}${samples.join(',')}]}`, headers: auth[k]! };
  };
}

function baselineSingle(fleet: FleetAgent[]) {
  const next = clock();
  const heads = fleet.map(
    (a) => `{"agent_id":${JSON.stringify(a.agentId)},"server_id":${JSON.stringify(a.serverId)},"timestamp":`,
  );
  let i = 0;
  return () => {
    const k = i++ % fleet.length;
    return { body: `${heads[k]}${next()},"metrics":${SNAPSHOTS[i % 64]}}` };
  };
}

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

/** Bare multi-row INSERT loop (100 rows per statement, 4 in flight) into the same table shape. */
async function bareBatchLoop(url: string, fleet: FleetAgent[]): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const next = clock();
  let rows = 0;
  const end = Date.now() + DURATION * 1000;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < end) {
        const params: unknown[] = [];
        const values: string[] = [];
        for (let k = 0; k < BATCH; k++) {
          const a = fleet[(rows + k) % fleet.length]!;
          const o = params.length;
          values.push(`($${o + 1}, $${o + 2}, to_timestamp($${o + 3}), $${o + 4})`);
          params.push(a.agentId, a.serverId, next(), SNAPSHOTS[k % 64]);
        }
        await pool.query(`insert into bench_batch (agent_id, server_id, ts, data) values ${values.join(',')}`, params);
        rows += BATCH;
      }
    }),
  );
  await pool.end();
  return rows / DURATION;
}

async function main() {
  const benchDb = `agenthub_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database "${benchDb}"`);
  const url = withDb(ADMIN_URL, benchDb);
  const config = testConfig({ jwtSecret: SECRETS.JWT_SECRET, cookieSecret: SECRETS.COOKIE_SECRET });
  const pgliteDir = mkdtempSync(join(tmpdir(), 'agenthub-bench-'));
  try {
    const database = await openDatabase({ url });
    await runMigrations(database);
    await database.exec(
      'create table bench_metrics (like metrics_data including defaults, primary key (agent_id, ts))',
    );
    await database.exec('create table bench_batch (like metrics_data including defaults, primary key (agent_id, ts))');
    await database.exec('create table bench_group (like metrics_data including defaults, primary key (agent_id, ts))');
    console.log(`creating ${AGENTS} agents...`);
    const fleet = await createFleet(database, config, AGENTS);
    await database.close();

    /**
     * One measured run. Every server first takes WARMUP seconds of the same load (JIT, connection pools,
     * prepared statements), then `rows` counts what is stored before and after the measured part.
     */
    const run = async (
      label: string,
      server: ServerProcess,
      path: string,
      next: () => { body: string; headers?: Record<string, string> },
      { rows, warmup = WARMUP }: { rows?: () => Promise<number>; warmup?: number } = {},
    ): Promise<Measured> => {
      console.log(`running ${label} for ${warmup} + ${DURATION} s...`);
      const load = { label, url: server.url + path, connections: CONNECTIONS, next };
      if (warmup > 0) {
        await runLoad({ ...load, durationSeconds: warmup });
        await setTimeout(500); // the warm-up's last requests settle before `rows` counts
      }
      const before = rows ? await rows() : 0;
      const cpu = measureCpu(server.child.pid);
      const result = await runLoad({ ...load, durationSeconds: DURATION });
      const used = cpu();
      return { ...result, cpu: perRequest(used, result.ok), stored: rows ? (await rows()) - before : undefined };
    };

    const bare = await startProcess(process.execPath, ['--import', 'tsx', join(root, 'bench/servers/bare.ts')], {
      port: await freePort(),
    });
    const bareResult = await run('bare Fastify (parse + return)', bare, '/ingest', baselineSingle(fleet));
    await bare.stop();

    const pgServer = await startProcess(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench/servers/pg-insert.ts')],
      {
        port: await freePort(),
        env: { DATABASE_URL: url },
      },
    );
    const pgResult = await run('Fastify + pg, 1 INSERT/request', pgServer, '/ingest', baselineSingle(fleet), {
      rows: () => count(url, 'bench_metrics'),
    });
    await pgServer.stop();

    const groupServer = await startProcess(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench/servers/pg-group-commit.ts')],
      { port: await freePort(), env: { DATABASE_URL: url } },
    );
    const groupResult = await run(
      'hand-written group commit (reference)',
      groupServer,
      '/ingest',
      baselineSingle(fleet),
      { rows: () => count(url, 'bench_group') },
    );
    await groupServer.stop();

    const hub = await agentHubProcess({ DATABASE_URL: url });
    const hubRows = () => count(url, 'metrics_data');
    const hubResult = await run('AgentHub POST /api/v1/metrics', hub, '/api/v1/metrics', agentHubSingle(fleet), {
      rows: hubRows,
    });
    const batchResult = await run(`AgentHub, ${BATCH} samples/request`, hub, '/api/v1/metrics', agentHubBatch(fleet), {
      rows: hubRows,
    });
    // Stock-agent formats on the same data: one Telegraf-sized gather (50 lines) per request, one snapshot each.
    const gatherJson = await run(
      'AgentHub JSON, one 50-line gather/request',
      hub,
      '/api/v1/metrics',
      jsonRequests(fleet, clock(3)),
      {
        rows: hubRows,
      },
    );
    const gatherLp = await run(
      'AgentHub line protocol, 50 lines/request',
      hub,
      '/api/v2/write?precision=ms',
      lineProtocolRequests(fleet, clock(4)),
      {
        rows: hubRows,
      },
    );
    const gatherOtlp = await run(
      'AgentHub OTLP/JSON, the same gather',
      hub,
      '/v1/metrics',
      otlpRequests(fleet, clock(5)),
      {
        rows: hubRows,
      },
    );
    await hub.stop();
    console.log('running bare multi-row insert loop...');
    const bareBatchRowsPerSecond = await bareBatchLoop(url, fleet);

    // PGlite: agents created in this process first (one process may hold the data dir at a time).
    const pglite = await openDatabase({ dataDir: join(pgliteDir, 'pglite') });
    await runMigrations(pglite);
    const liteFleet = await createFleet(pglite, config, AGENTS);
    await pglite.close();
    // The server holds the data directory, so its rows are counted after it stops: no warm-up here.
    const lite = await agentHubProcess({ DATA_DIR: pgliteDir });
    const liteResult = await run('AgentHub on PGlite', lite, '/api/v1/metrics', agentHubSingle(liteFleet), {
      warmup: 0,
    });
    await lite.stop();
    const liteDb = await openDatabase({ dataDir: join(pgliteDir, 'pglite') });
    liteResult.stored = Number(
      (await liteDb.pglite!.query<{ n: string }>('select count(*) as n from metrics_data')).rows[0]?.n ?? 0,
    );
    await liteDb.close();

    // Requests still in flight when autocannon stops may commit without their 2xx being counted:
    // durability holds when every acknowledged row is stored and nothing unsent appears.
    const rowsCheck = ({ ok, sent, stored: rows = 0 }: Measured, samples = 1) =>
      rows >= ok * samples && rows <= sent * samples
        ? `${fmt(rows)} ✓ (2xx ${fmt(ok * samples)} ≤ rows ≤ sent ${fmt(sent * samples)})`
        : `${fmt(rows)} ✗ (2xx ${fmt(ok * samples)}, sent ${fmt(sent * samples)})`;
    const row = (m: Measured, rows: string) => [m.label, fmt(m.requestsPerSecond), m.p50, m.p99, m.non2xx, rows, m.cpu];
    const points = pointsPerGather();
    const formatRow = (m: Measured) => [
      m.label,
      fmt(m.requestsPerSecond),
      fmt(m.requestsPerSecond * points),
      m.p50,
      m.p99,
      m.non2xx,
      rowsCheck(m),
      m.cpu,
      `${fmt((100 * m.requestsPerSecond) / gatherJson.requestsPerSecond, 0)}%`,
    ];
    const md = [
      `## Metrics ingestion (\`npm run bench:ingest\`)`,
      '',
      `Run ${new Date().toISOString()} on ${machineLine()}; Postgres ${process.env['BENCH_PG_VERSION'] ?? 'local'}; ${CONNECTIONS} connections, ${WARMUP} s of warm-up then ${DURATION} s measured per run (PGlite: no warm-up), ${AGENTS} agents, ~0.6 KB snapshots. Load generator and server run in separate processes on the same 2 cores.`,
      '',
      table(
        [
          'run',
          'req/s',
          'p50 ms',
          'p99 ms',
          'non-2xx',
          'rows stored (durability check)',
          'CPU µs/request: server · Postgres · load generator',
        ],
        [
          row(bareResult, '—'),
          row(pgResult, rowsCheck(pgResult)),
          row(groupResult, rowsCheck(groupResult)),
          row(hubResult, rowsCheck(hubResult)),
          row(liteResult, rowsCheck(liteResult)),
        ],
      ),
      '',
      `- AgentHub vs one-INSERT-per-request baseline: **${fmt(hubResult.requestsPerSecond / pgResult.requestsPerSecond, 2)}×** (target ≥ 2.5×)`,
      `- AgentHub vs bare Fastify ceiling: **${fmt((100 * hubResult.requestsPerSecond) / bareResult.requestsPerSecond, 0)}%** (target ≥ 60%); p99 ${hubResult.p99} ms (target < 25 ms)`,
      `- Reference, the issue's hand-written group commit with no auth or validation: ${fmt(groupResult.requestsPerSecond / pgResult.requestsPerSecond, 2)}× the baseline, ${fmt((100 * groupResult.requestsPerSecond) / bareResult.requestsPerSecond, 0)}% of bare Fastify; AgentHub reaches ${fmt((100 * hubResult.requestsPerSecond) / groupResult.requestsPerSecond, 0)}% of it`,
      `- Batched ingest: ${fmt(batchResult.requestsPerSecond * BATCH)} samples/s (${fmt(batchResult.requestsPerSecond, 1)} req/s × ${BATCH}, p99 ${batchResult.p99} ms, rows ${rowsCheck(batchResult, BATCH)}) vs bare multi-row insert loop ${fmt(bareBatchRowsPerSecond)} rows/s: **${fmt((100 * batchResult.requestsPerSecond * BATCH) / bareBatchRowsPerSecond, 0)}%** (target ≥ 75%)`,
      '',
      `Stock-agent formats (Postgres, same server): each request is one Telegraf gather of ${LINES_PER_GATHER} lines, ${points} fields, stored as one snapshot; the JSON run posts that gather after AgentHub's mapping, so all three carry the same data (OTLP/JSON: one gauge per field, the line's tags as attributes).`,
      '',
      table(
        [
          'run',
          'snapshots/s',
          'points/s',
          'p50 ms',
          'p99 ms',
          'non-2xx',
          'rows stored (durability check)',
          'CPU µs/request: server · Postgres · load generator',
          'vs JSON',
        ],
        [formatRow(gatherJson), formatRow(gatherLp), formatRow(gatherOtlp)],
      ),
      '',
      `- Line protocol: **${fmt((100 * gatherLp.requestsPerSecond) / gatherJson.requestsPerSecond, 0)}%** of JSON's points/s on the same data (target ≥ 80%); OTLP/JSON ${fmt((100 * gatherOtlp.requestsPerSecond) / gatherJson.requestsPerSecond, 0)}%`,
    ].join('\n');
    console.log(`\n${md}\n`);
    writeSection('ingest', md);
  } finally {
    await admin.query(`drop database if exists "${benchDb}" with (force)`);
    await admin.end();
    rmSync(pgliteDir, { recursive: true, force: true });
  }
}

await main();
