// npm run bench:alerts — one evaluation of 1,000 agents × 3 rules against their stored samples, on PGlite
// and Postgres, beside the bare reads of the same samples (what any evaluator must at least do).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { testConfig } from '../src/config.js';
import { openDatabase, queryRows, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { createBulkFleet } from './lib/bulk-fleet.js';
import { benchServices } from './lib/fleet.js';
import { withDb } from './lib/processes.js';
import { fmt, machineLine, table, writeSection } from './lib/report.js';

const AGENTS = Number(process.env['BENCH_ALERT_AGENTS'] ?? 1000);
const SAMPLES = 10; // one every 30 s, the last 5 minutes
const CYCLES = 5;
const ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const INTERVAL_S = 30;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function seed(database: Database) {
  const config = testConfig();
  const { agents } = await createBulkFleet(database, config, AGENTS, { roomSize: AGENTS });
  const [owner] = await queryRows<{ owner_id: string }>(
    database.db,
    sql`select owner_id from agents where id = ${agents[0]?.agentId ?? ''}::uuid`,
  );
  const ownerId = owner?.owner_id ?? '';
  // Samples and last_seen_at as a live fleet would leave them.
  await database.db.execute(sql`
    insert into metrics_data (agent_id, server_id, ts, data)
    select a.id, a.server_id, now() - g * interval '30 seconds',
           jsonb_build_object('cpu', jsonb_build_object('usage', round((random() * 100)::numeric, 1)),
                              'memory', jsonb_build_object('percent', 41.5))
    from agents a, generate_series(0, ${SAMPLES - 1}) g where a.owner_id = ${ownerId}::uuid`);
  await database.db.execute(sql`update agents set last_seen_at = now(), approved_at = now() - interval '1 day'`);
  const [channel] = await queryRows<{ id: string }>(
    database.db,
    sql`insert into notification_channels (owner_id, name, kind, preset, target)
        values (${ownerId}::uuid, 'bench', 'webhook', 'generic', '{"url":"http://127.0.0.1:9/"}'::jsonb) returning id`,
  );
  const channels = JSON.stringify([channel?.id]);
  await database.db.execute(sql`
    insert into alert_rules (owner_id, name, kind, path, comparison, threshold, for_seconds, severity, channel_ids) values
      (${ownerId}::uuid, 'cpu high', 'metric_threshold', 'cpu.usage', '>', 95, 120, 'critical', ${channels}::jsonb),
      (${ownerId}::uuid, 'offline', 'agent_offline', null, null, null, 300, 'warning', ${channels}::jsonb),
      (${ownerId}::uuid, 'no memory', 'no_data', 'memory.percent', null, null, 120, 'info', ${channels}::jsonb)`);
  return config;
}

async function measure(label: string, database: Database) {
  const config = await seed(database);
  const services = benchServices(database, config);
  const first = performance.now();
  const firstCycle = await services.alerting.evaluation.evaluateAll();
  const firstMs = performance.now() - first;
  const cycles: number[] = [];
  for (let i = 0; i < CYCLES; i++) {
    const t = performance.now();
    await services.alerting.evaluation.evaluateAll();
    cycles.push(performance.now() - t);
  }
  // Baseline: the same samples read bare, once per rule that reads samples, plus the agents once per rule.
  const reads: number[] = [];
  for (let i = 0; i < CYCLES; i++) {
    const t = performance.now();
    for (const path of ['{cpu,usage}', '{memory,percent}'])
      await queryRows(
        database.db,
        sql`select agent_id, ts, data #>> ${path}::text[] as v from metrics_data where ts >= now() - interval '7 minutes'`,
      );
    for (let r = 0; r < 3; r++)
      await queryRows(database.db, sql`select id, last_seen_at from agents where status = 'approved'`);
    reads.push(performance.now() - t);
  }
  return {
    label,
    pairs: firstCycle.pairs,
    transitions: firstCycle.transitions,
    firstMs,
    cycleMs: median(cycles),
    readMs: median(reads),
  };
}

const results = [];
{
  const database = await openDatabase({});
  await runMigrations(database);
  results.push(await measure('PGlite (embedded)', database));
  await database.close();
}
const name = `agenthub_bench_alerts_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
let postgres = true;
try {
  await admin.connect();
  await admin.query(`create database "${name}"`);
} catch (error) {
  postgres = false;
  console.warn(`Postgres unavailable (${(error as Error).message}): PGlite only`);
}
if (postgres) {
  const database = await openDatabase({ url: withDb(ADMIN_URL, name) });
  try {
    await runMigrations(database);
    results.push(await measure('Postgres', database));
  } finally {
    await database.close();
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

const rows = results.map((r) => [
  r.label,
  fmt(r.pairs),
  fmt(r.transitions),
  fmt(r.firstMs),
  fmt(r.cycleMs),
  fmt(r.readMs),
  `${fmt((r.cycleMs / (INTERVAL_S * 1000)) * 100, 1)}%`,
]);
const markdown = `## Alert evaluation (\`npm run bench:alerts\`)

Run ${new Date().toISOString()} on ${machineLine()}. ${fmt(AGENTS)} agents of one owner with ${SAMPLES} stored samples each
(the last 5 minutes), 3 rules over all of them (\`metric_threshold\` on \`cpu.usage\` for 2 min, \`agent_offline\`,
\`no_data\` on \`memory.percent\`): ${fmt(AGENTS * 3)} (rule, agent) pairs. The first cycle creates their states; a
steady cycle is the median of ${CYCLES}. Baseline, in the same run: the bare reads any evaluator must make (the samples
of the window for each path, the agents for each rule).

${table(['database', 'pairs', 'transitions (first cycle)', 'first cycle ms', 'steady cycle ms', 'bare reads ms', 'share of the 30 s interval'], rows)}

- Target: a cycle under 10% of the interval (3 s for 30 s). Evaluation reads the database on its own timer; the ingest
  path is the same code with or without rules (no rule is looked at when a sample is stored).
`;
writeSection('alerts', markdown);
console.log(markdown);
