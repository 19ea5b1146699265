// The bench:ingest section of docs/BENCHMARKS.md: the runs side by side, and each target with ✓ or ✗.
import type { CpuSplit } from './cpu.js';
import type { LoadResult } from './load.js';
import { fmt, machineLine, table } from './report.js';
import type { FlushStats } from './server-metrics.js';
import type { ReplayResult } from './spool-replay.js';
import { LINES_PER_GATHER, pointsPerGather } from './stock-formats.js';

export interface Measured extends LoadResult {
  /** µs of CPU per answered request. */
  cpu: CpuSplit;
  /** Rows stored by the run (its measured part, and its warm-up where `warm` is set). */
  stored: number | undefined;
  /** The warm-up's answered and sent requests, when `stored` also counts the warm-up's rows. */
  warm?: { ok: number; sent: number };
  /** The server's own flushes during the measured part. */
  flushes?: FlushStats;
}

export type Replay = ReplayResult & { stored: number };

export interface PostgresRuns {
  bare: Measured;
  oneInsert: Measured;
  reference: Measured;
  single: Measured;
  fleetRun: Measured;
  batch: Measured;
  replay: Replay;
  gatherJson: Measured;
  gatherLp: Measured;
  gatherOtlp: Measured;
  bareInsertRowsPerSecond: number;
}

export interface PgliteRuns {
  single: Measured;
  batch: Measured;
  replay: Replay;
  /** Rows per flush in the single-snapshot run: the bare loop's statement size. */
  flushRows: number;
  /** The repository's flush and the bare insert of the same rows, taking turns in the bench process. */
  flushVersusBare: { flushUsPerRow: number; bareUsPerRow: number; bareRowsPerSecond: number };
  bareBatchRowsPerSecond: number;
}

export interface ReportSettings {
  connections: number;
  warmup: number;
  duration: number;
  agents: number;
  fleet: number;
  batch: number;
  spooled: number;
  pgVersion: string;
}

const mark = (ok: boolean) => (ok ? '✓' : '✗');
const cpuCell = ({ cpu }: Measured) =>
  `${Math.round(cpu.server)} · ${Math.round(cpu.postgres)} · ${Math.round(cpu.loadGenerator)}`;
const pct = (a: number, b: number) => `${fmt((100 * a) / b, 0)}%`;

/**
 * Requests still in flight when autocannon stops may commit without their 2xx being counted: durability holds
 * when every acknowledged row is stored and nothing unsent appears.
 */
function durable({ ok, sent, stored = 0, warm }: Measured, samples = 1): { ok: boolean; cell: string } {
  const low = (ok + (warm?.ok ?? 0)) * samples;
  const high = (sent + (warm?.sent ?? 0)) * samples;
  const holds = stored >= low && stored <= high;
  return {
    ok: holds,
    cell: holds
      ? `${fmt(stored)} ✓ (2xx ${fmt(low)} ≤ rows ≤ sent ${fmt(high)})`
      : `${fmt(stored)} ✗ (2xx ${fmt(low)}, sent ${fmt(high)})`,
  };
}

const replayDurable = (r: Replay) => ({
  ok: r.stored === r.samples,
  cell: `${fmt(r.stored)} of ${fmt(r.samples)} ${mark(r.stored === r.samples)}`,
});

export function ingestReport(pgRuns: PostgresRuns, lite: PgliteRuns, s: ReportSettings): string {
  const { bare, oneInsert, reference, single, fleetRun, batch, replay } = pgRuns;
  const checks: boolean[] = [];
  const checked = (c: { ok: boolean; cell: string }) => {
    checks.push(c.ok);
    return c.cell;
  };
  const row = (m: Measured, rows: string) => [
    m.label,
    fmt(m.requestsPerSecond),
    m.p50,
    m.p99,
    m.non2xx,
    rows,
    cpuCell(m),
  ];
  const singles = table(
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
      row(bare, '—'),
      row(oneInsert, checked(durable(oneInsert))),
      row(reference, checked(durable(reference))),
      row(single, checked(durable(single))),
      row(fleetRun, checked(durable(fleetRun))),
      row(lite.single, checked(durable(lite.single))),
    ],
  );

  const samplesPerSecond = (m: Measured) => m.requestsPerSecond * s.batch;
  const perSample = ({ cpu }: Measured) =>
    [cpu.server, cpu.postgres, cpu.loadGenerator].map((us) => fmt(us / s.batch, 1)).join(' · ');
  const batches = table(
    [
      'run',
      'samples/s',
      'p99 ms',
      'rows stored (durability check)',
      'CPU µs/sample: server · Postgres · load generator',
      'vs bare insert loop of its database',
    ],
    [
      [
        batch.label,
        fmt(samplesPerSecond(batch)),
        batch.p99,
        checked(durable(batch, s.batch)),
        perSample(batch),
        pct(samplesPerSecond(batch), pgRuns.bareInsertRowsPerSecond),
      ],
      [
        `spool replay: ${s.agents} agents × ${fmt(s.spooled)} samples (SDK, ${replay.requests / s.agents} requests each)`,
        fmt(replay.samplesPerSecond),
        '—',
        checked(replayDurable(replay)),
        '—',
        pct(replay.samplesPerSecond, pgRuns.bareInsertRowsPerSecond),
      ],
      [
        `bare multi-row INSERT loop, Postgres (${s.batch} rows/statement, 4 in flight)`,
        fmt(pgRuns.bareInsertRowsPerSecond),
        '—',
        '—',
        '—',
        '100%',
      ],
      [
        lite.batch.label,
        fmt(samplesPerSecond(lite.batch)),
        lite.batch.p99,
        checked(durable(lite.batch, s.batch)),
        perSample(lite.batch),
        pct(samplesPerSecond(lite.batch), lite.bareBatchRowsPerSecond),
      ],
      [
        `spool replay on PGlite: ${s.agents} agents × ${fmt(s.spooled)} samples`,
        fmt(lite.replay.samplesPerSecond),
        '—',
        checked(replayDurable(lite.replay)),
        '—',
        pct(lite.replay.samplesPerSecond, lite.bareBatchRowsPerSecond),
      ],
      [
        `bare multi-row INSERT loop, PGlite (${s.batch} rows/statement)`,
        fmt(lite.bareBatchRowsPerSecond),
        '—',
        '—',
        '—',
        '100%',
      ],
    ],
  );

  const flush = lite.single.flushes;
  const serverFlushUsPerRow = flush && flush.rows > 0 ? (flush.seconds * 1e6) / flush.rows : NaN;
  const { flushUsPerRow, bareUsPerRow } = lite.flushVersusBare;
  const flushRatio = flushUsPerRow / bareUsPerRow;
  const cpuRatio = single.cpu.server / reference.cpu.server;
  const rateShare = single.requestsPerSecond / reference.requestsPerSecond;
  const liteShare = lite.single.requestsPerSecond / single.requestsPerSecond;
  const fleetRatio = fleetRun.cpu.server / single.cpu.server;
  const batchShare = samplesPerSecond(batch) / pgRuns.bareInsertRowsPerSecond;
  const target = (text: string, ok: boolean) => `- ${text} ${mark(ok)}`;

  const points = pointsPerGather();
  const { gatherJson, gatherLp, gatherOtlp } = pgRuns;
  const formatRow = (m: Measured) => [
    m.label,
    fmt(m.requestsPerSecond),
    fmt(m.requestsPerSecond * points),
    m.p50,
    m.p99,
    m.non2xx,
    checked(durable(m)),
    cpuCell(m),
    pct(m.requestsPerSecond, gatherJson.requestsPerSecond),
  ];
  const formats = table(
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
  );
  const lpShare = gatherLp.requestsPerSecond / gatherJson.requestsPerSecond;

  return [
    `## Metrics ingestion (\`npm run bench:ingest\`)`,
    '',
    `Run ${new Date().toISOString()} on ${machineLine()}; Postgres ${s.pgVersion}; ${s.connections} connections, ${s.warmup} s of warm-up then ${s.duration} s measured per run, ${s.agents} agents (and one run over a fleet of ${fmt(s.fleet)}, each with its own access JWT, taken in turn), ~0.6 KB snapshots. Load generator and server run in separate processes on the same 2 cores. CPU per request is each process's CPU time over the measured part (/proc) divided by the requests answered: the stable measure on this machine, where rates swing ±30% from run to run.`,
    '',
    singles,
    '',
    batches,
    '',
    `PGlite flush cost: the server's flush (metrics repository, as the server calls it) and the bare multi-row insert of the same rows, ${lite.flushRows} per statement (the single-snapshot run's average flush), taking turns for ${s.duration} s in one process: **${fmt(flushUsPerRow, 1)} vs ${fmt(bareUsPerRow, 1)} µs per row**. In the server, ${flush ? `${fmt(flush.flushes)} flushes of ${fmt(flush.rows / Math.max(1, flush.flushes), 1)} rows took ${fmt(serverFlushUsPerRow, 1)} µs per row of wall time (which also counts the other requests' work run between the flush's awaits)` : 'no flush figures were read'}.`,
    '',
    'Targets (issue 21):',
    '',
    target(
      `Postgres, single snapshot: server CPU per request **${fmt(cpuRatio, 2)}×** the reference's (${Math.round(single.cpu.server)} vs ${Math.round(reference.cpu.server)} µs; target ≤ 1.2×)`,
      cpuRatio <= 1.2,
    ),
    target(
      `Postgres, single snapshot: **${pct(single.requestsPerSecond, reference.requestsPerSecond)}** of the reference's req/s (target ≥ 90%)`,
      rateShare >= 0.9,
    ),
    target(`Postgres, single snapshot: p99 **${single.p99} ms** (target < 25 ms)`, single.p99 < 25),
    target(
      `PGlite: **${pct(lite.single.requestsPerSecond, single.requestsPerSecond)}** of AgentHub-on-Postgres req/s (target ≥ 30%)`,
      liteShare >= 0.3,
    ),
    target(`PGlite: p99 **${lite.single.p99} ms** (target < 50 ms)`, lite.single.p99 < 50),
    target(
      `PGlite: flush cost per row **${fmt(flushRatio, 2)}×** the bare multi-row insert's (target ≤ 1.5×)`,
      flushRatio <= 1.5,
    ),
    target(
      `${fleetRun.label}: server CPU per request **${fmt(fleetRatio, 2)}×** the ${s.agents}-agent run's (${Math.round(fleetRun.cpu.server)} vs ${Math.round(single.cpu.server)} µs; target ≤ 1.2×)`,
      fleetRatio <= 1.2,
    ),
    target(
      `Batched (${s.batch} samples/request): **${pct(samplesPerSecond(batch), pgRuns.bareInsertRowsPerSecond)}** of the bare multi-row insert loop's rows/s on Postgres (target ≥ 85%); PGlite batched ${pct(samplesPerSecond(lite.batch), lite.bareBatchRowsPerSecond)} of its own bare loop`,
      batchShare >= 0.85,
    ),
    target(`Rows stored equal acknowledged requests in every run`, checks.every(Boolean)),
    '',
    `For reference: AgentHub reached ${fmt(single.requestsPerSecond / oneInsert.requestsPerSecond, 2)}× the one-INSERT-per-request baseline and ${pct(single.requestsPerSecond, bare.requestsPerSecond)} of bare Fastify; the reference ${fmt(reference.requestsPerSecond / oneInsert.requestsPerSecond, 2)}× and ${pct(reference.requestsPerSecond, bare.requestsPerSecond)}.`,
    '',
    `Stock-agent formats (Postgres, same server): each request is one Telegraf gather of ${LINES_PER_GATHER} lines, ${points} fields, stored as one snapshot; the JSON run posts that gather after AgentHub's mapping, so all three carry the same data (OTLP/JSON: one gauge per field, the line's tags as attributes).`,
    '',
    formats,
    '',
    target(
      `Line protocol: **${pct(gatherLp.requestsPerSecond, gatherJson.requestsPerSecond)}** of JSON's points/s on the same data (target ≥ 80%, issue 20); OTLP/JSON ${pct(gatherOtlp.requestsPerSecond, gatherJson.requestsPerSecond)}`,
      lpShare >= 0.8,
    ),
  ].join('\n');
}
