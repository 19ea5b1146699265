import { fmt, machineLine, table } from './report.js';
import type { RateResult } from './room-clients.js';
import type { IdleResult, RoomRuns, RunSettings } from './room-runs.js';

export interface RoomsReport {
  settings: RunSettings & { rate: number; maxDeliveries: number; connections: number };
  sustains(run: RateResult): boolean;
  hub: RoomRuns;
  bare: RoomRuns;
  /** Two AgentHub instances (--instances 2): fixed-rate runs, senders on one, receivers on the other. */
  cross?: RoomRuns;
  storedRows: number;
  hubIdle: IdleResult;
  bareIdle: IdleResult;
  pgVersion: string;
}

const ms = (n: number) => (Number.isNaN(n) ? '—' : fmt(n, 1));
const complete = (x: RateResult) => x.delivered === x.expected;

function row(server: string, x: RateResult): string[] {
  const late = x.late ? `, ${fmt(x.late)} late` : '';
  return [
    server,
    fmt(x.members),
    `${fmt(x.targetRate)} (${fmt(x.achievedRate)})`,
    `${fmt(x.delivered)} / ${fmt(x.expected)} ${complete(x) ? '✓' : `✗${late}`}`,
    fmt(x.deliveriesPerSecond),
    ms(x.p50),
    ms(x.p99),
    ms(x.max),
  ];
}

const mark = (ok: boolean) => (ok ? '✓' : '✗');

/** p99 of `a` ÷ p99 of `b`, checked against `target` when there is one, only when both delivered everything. */
function p99Ratio(a: RateResult, b: RateResult, target?: number): string {
  if (!complete(a) || !complete(b)) return 'n/a ✗ (not every delivery arrived)';
  const ratio = a.p99 / b.p99;
  return `**${fmt(ratio, 2)}×**${target === undefined ? '' : ` ${mark(ratio <= target)}`}`;
}

function idleLine(label: string, x: IdleResult, s: RoomsReport['settings'], targetKb?: number): string {
  const all = x.count === s.connections && x.failed === 0;
  const measurable = x.after > x.before;
  const perSocket = measurable ? `**${fmt(x.perSocketKb, 1)} KB per idle socket**` : '**RSS fell: not measurable ✗**';
  const verdict = targetKb && measurable ? ` ${mark(x.perSocketKb <= targetKb)} (target ≤ ${targetKb} KB)` : '';
  return `${label}: ${fmt(x.count)} of ${fmt(s.connections)} connected ${mark(all)} (${fmt(x.failed)} failed) in ${fmt(x.wallMs / 1000, 1)} s, ${s.connectConcurrency} handshakes at a time (each: p50 ${ms(x.handshake.percentile(50))} ms, p99 ${ms(x.handshake.percentile(99))} ms); server RSS ${fmt(x.before / 1024)} → ${fmt(x.after / 1024)} MB: ${perSocket}${verdict}`;
}

/** The markdown section of docs/BENCHMARKS.md for `npm run bench:rooms`. */
export function roomsReport(r: RoomsReport): string {
  const s = r.settings;
  const rows = r.hub.fixed.flatMap((hub, i) => [
    row('bare socket.io', r.bare.fixed[i]!),
    row('AgentHub', hub),
    ...(r.cross?.fixed[i] ? [row('AgentHub × 2 (cross-instance)', r.cross.fixed[i])] : []),
  ]);
  const ratios = r.hub.fixed.map((hub, i) => `${fmt(hub.members)} members ${p99Ratio(hub, r.bare.fixed[i]!, 2)}`);
  const crossRatios = r.cross?.fixed.map(
    (cross, i) => `${fmt(cross.members)} members ${p99Ratio(cross, r.hub.fixed[i]!)}`,
  );
  const sustained = (runs: RoomRuns) =>
    runs.sustained ? `${fmt(runs.sustained)} msg/s` : `< ${fmt(runs.sweep[0]?.targetRate ?? 0)} msg/s`;
  const steps = (runs: RoomRuns) =>
    runs.sweep.map((x) => `${fmt(x.targetRate)} ${mark(r.sustains(x))} (p99 ${ms(x.p99)} ms)`).join(', ');
  const share = r.bare.sustained ? (100 * r.hub.sustained) / r.bare.sustained : Number.NaN;
  const hubRuns = [...r.hub.fixed, ...r.hub.sweep, ...(r.cross?.fixed ?? [])];
  const sent = hubRuns.reduce((n, x) => n + x.sent, 0);
  const acked = hubRuns.reduce((n, x) => n + x.acked, 0);
  return [
    '## Realtime rooms (`npm run bench:rooms`)',
    '',
    `Run ${new Date().toISOString()} on ${machineLine()}; Postgres ${r.pgVersion}. Fixed-rate runs of ${s.durationSeconds} s over ${s.senders} sender sockets, ${s.bodyBytes}-byte bodies, websocket transport; a room of N members runs at min(${fmt(s.rate)}, ${fmt(s.maxDeliveries)} / N) msg/s, because the one bench process that decodes every delivery saturates past about that many packets/s. Every client lives in the bench process, each server in its own process; all share the same cores.`,
    '',
    'Deliveries = messages sent × sockets in the room: both servers broadcast every message to every socket in the room, the sender’s own included, and every one is counted. Latency = send → `message:new` at each receiving socket other than the senders, on one clock (senders and receivers share the bench process). The bare server is socket.io alone: no auth, no validation, no database.',
    '',
    'The load generator is a raw `socket.io-client`, not the SDK’s `RealtimeClient`: the same client must drive the bare baseline, which has no token exchange, REST history or seq gap-filling for the SDK to talk to, and the SDK’s per-room ordering queue would spend the bench process’s one core that already bounds the delivery rate. The sockets speak the SDK’s wire protocol (access JWT at the handshake, `message:send` with an ack, `message:new`).',
    ...(r.cross
      ? [
          '',
          '`AgentHub × 2`: two AgentHub processes on the same database and the local Redis (`REDIS_URL`, a `REDIS_PREFIX` of their own, websocket transport only); the senders connect to the first, every other member to the second, so each latency sample crossed instances through the Redis adapter.',
        ]
      : []),
    '',
    table(
      [
        'server',
        'members',
        'msg/s target (achieved)',
        'deliveries / expected',
        'deliveries/s',
        'p50 ms',
        'p99 ms',
        'max ms',
      ],
      rows,
    ),
    '',
    `- p99 AgentHub ÷ bare socket.io: ${ratios.join(', ')} (target ≤ 2×)`,
    ...(crossRatios ? [`- p99 AgentHub × 2 (cross-instance) ÷ one AgentHub: ${crossRatios.join(', ')}`] : []),
    `- Max sustained send rate, ${s.sweepMembers} members (${s.stepSeconds} s steps from ${fmt(s.sweepStart)} msg/s, ×${s.sweepFactor} each; sustained = every delivery within ${s.drainMs / 1000} s of the last send, none refused, ≥ 95% of the rate sent, p99 ≤ ${s.sweepP99LimitMs} ms): AgentHub **${sustained(r.hub)}**, bare socket.io **${sustained(r.bare)}** → **${Number.isNaN(share) ? '—' : `${fmt(share, 0)}%`}** ${mark(share >= 70)} (target ≥ 70%)`,
    `  - AgentHub: ${steps(r.hub)}`,
    `  - bare socket.io: ${steps(r.bare)}`,
    `- AgentHub durability: ${fmt(r.storedRows)} messages stored, ${fmt(acked)} acked, ${fmt(sent)} sent ${mark(r.storedRows >= acked && r.storedRows <= sent)} (every acked message is stored, nothing beyond what was sent)`,
    `- ${idleLine(`Authenticated sockets held on one fresh AgentHub (agents in rooms of 10)`, r.hubIdle, s, 30)}`,
    `- ${idleLine('The same sockets on a fresh bare socket.io', r.bareIdle, s)}`,
  ].join('\n');
}
