import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetAgent } from '../../bench/lib/fleet.js';
import { queryRows } from '../../src/db/client.js';
import { freePort } from '../harness/cli.js';
import {
  churnLoad,
  deviceFlowLoad,
  ingestLoad,
  MiB,
  sampleResources,
  signInOverHttp,
  talkLoad,
  type ResourceSample,
} from './load.js';
import { reliabilityStore, startServer, type ServerProcess } from './processes.js';
import { seedFleet, seedWorld, type World } from './world.js';

/** 10 minutes by default; `.ci/run` runs a reduced soak (RELIABILITY_SOAK_MS). */
const SOAK_MS = Number(process.env['RELIABILITY_SOAK_MS'] ?? 600_000);
const SAMPLE_MS = Math.max(1000, Math.round(SOAK_MS / 150));
/** The first fifth warms up (JIT, pools, caches) and is not judged. */
const WARM_UP_SHARE = 0.2;
const PASSWORD = 'soak-password-0123456789';
/** Memory growth is judged only over runs at least this long (see below). */
const TREND_MIN_MS = 300_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
};
const mib = (bytes: number) => (bytes / MiB).toFixed(1);

/**
 * Mixed load for SOAK_MS against one server process — ingestion from 3 agents, 3 agents talking in a
 * room, an agent reconnecting every half second, device flows one after another — with the server's
 * memory, file descriptors, handles and the clients' latencies sampled: after the warm-up, the last
 * third of the run must look like the first (no growth trend), and nothing may fail or be lost.
 */
describe('a soak of mixed load', { timeout: SOAK_MS + 300_000 }, () => {
  const store = reliabilityStore('soak');
  let base: string;
  let fleet: FleetAgent[];
  let world: World & { email: string };
  let server: ServerProcess;

  beforeAll(async () => {
    const database = await store.prepare();
    fleet = await seedFleet(database, 3);
    world = await seedWorld(database, { label: 'soak', talkers: 4, password: PASSWORD });
    await database.close();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Device flows poll anonymously from one address all along: the anonymous budget is not under test here.
    server = await startServer(
      { ...store.serverEnv(port), PUBLIC_URL: base, DEVICE_POLL_INTERVAL: '1', RATE_LIMIT_ANON: '1000000' },
      base,
    );
  });
  afterAll(async () => {
    server.child.kill('SIGTERM');
    await server.exited().catch(() => undefined);
    await store.remove();
  });

  it('keeps memory, descriptors, handles and latency flat, and fails or loses nothing', async () => {
    const person = await signInOverHttp(base, world.email, PASSWORD);
    const [churnToken, ...talkers] = world.tokens as [string, ...string[]];
    const resources = sampleResources(base, SAMPLE_MS, { pid: server.child.pid!, dir: store.dataDir });
    const ingest = ingestLoad(base, fleet);
    const talk = await talkLoad(base, talkers, world.roomId);
    const churn = churnLoad(base, churnToken);
    const flows = deviceFlowLoad(base, person);
    const started = Date.now();
    await sleep(SOAK_MS);
    await Promise.all([ingest.stop(), talk.stop(), churn.stop(), flows.stop()]);
    await resources.stop();

    const judged = resources.samples.filter((s) => s.at >= started + SOAK_MS * WARM_UP_SHARE);
    const third = Math.floor(judged.length / 3);
    const [first, last] = [judged.slice(0, third), judged.slice(-third)];
    const of = (samples: ResourceSample[], key: keyof ResourceSample) => samples.map((s) => s[key]);
    // Descriptors other than the embedded database's relation files, which Postgres opens once and keeps.
    const ownFds = (samples: ResourceSample[]) => samples.map((s) => s.openFds - s.databaseFds);
    const growth = (key: 'rss' | 'heapUsed') => median(of(last, key)) - median(of(first, key));
    const within = <T extends { at: number }>(items: T[], samples: ResourceSample[]) =>
      items.filter((i) => i.at >= (samples[0]?.at ?? 0) && i.at <= (samples.at(-1)?.at ?? 0));
    const ingestP99 = (samples: ResourceSample[]) =>
      percentile(
        within(ingest.answers, samples).map((a) => a.ms ?? 0),
        0.99,
      );
    const sendP99 = (samples: ResourceSample[]) =>
      percentile(
        within(talk.answers, samples).map((a) => a.ms ?? 0),
        0.99,
      );
    const refusedIngest = ingest.answers.filter((a) => a.status !== 200);
    const refusedSends = talk.answers.filter((a) => !a.ok);

    const database = await store.open();
    try {
      const stored = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from metrics_data`);
      const messages = await queryRows<{ n: number; top: number }>(
        database.db,
        sql`select count(*)::int as n, coalesce(max(seq), 0)::int as top from messages where room_id = ${world.roomId}`,
      );
      const ackedSamples = [...ingest.acked.values()].reduce((n, s) => n + s.size, 0);
      const minutes = (SOAK_MS / 60_000).toFixed(1);
      console.info(
        [
          `soak: ${minutes} min, ${resources.samples.length} resource samples (${judged.length} judged)`,
          `ingest: ${ingest.answers.length} requests, ${ackedSamples} samples acknowledged, ` +
            `p99 ${ingestP99(first).toFixed(1)} → ${ingestP99(last).toFixed(1)} ms`,
          `messages: ${talk.acked.size} acknowledged, p99 ${sendP99(first).toFixed(1)} → ${sendP99(last).toFixed(1)} ms`,
          `reconnects: ${churn.connects.length}, median connect ${median(churn.connects).toFixed(1)} ms; ` +
            `device flows: ${flows.durations.length}, median ${median(flows.durations).toFixed(0)} ms ` +
            `(failures: ${[...new Set([...flows.failures, ...churn.failures])].join(', ') || 'none'})`,
          `rss ${mib(median(of(first, 'rss')))} → ${mib(median(of(last, 'rss')))} MiB, ` +
            `heap ${mib(median(of(first, 'heapUsed')))} → ${mib(median(of(last, 'heapUsed')))} MiB, ` +
            `fds ≤ ${Math.max(...ownFds(first))} → ≤ ${Math.max(...ownFds(last))} ` +
            `(+ database files ≤ ${Math.max(...of(first, 'databaseFds'))} → ≤ ${Math.max(...of(last, 'databaseFds'))}), ` +
            `handles ≤ ${Math.max(...of(first, 'activeHandles'))} → ≤ ${Math.max(...of(last, 'activeHandles'))}`,
        ].join('\n'),
      );

      // What the server logged at warn and above (LOG_LEVEL=warn): the first place to look when a check fails.
      const log = `${server.stdout}${server.stderr}`.trim();
      if (log) console.info(`server log (tail):\n${log.slice(-6000)}`);
      expect(server.child.exitCode, 'the server process ended').toBeNull();
      expect(refusedIngest).toEqual([]);
      expect(refusedSends).toEqual([]);
      expect(churn.failures).toEqual([]);
      expect(flows.failures).toEqual([]);
      expect(churn.connects.length).toBeGreaterThan(SOAK_MS / 5000);
      expect(flows.durations.length).toBeGreaterThan(SOAK_MS / 20_000);
      // Everything acknowledged is stored (the device flows' first snapshots come on top).
      expect(stored[0]!.n).toBeGreaterThanOrEqual(ackedSamples + flows.durations.length);
      expect(messages[0]).toEqual({ n: talk.acked.size, top: talk.acked.size });
      // No growth trend: the last third of the judged run against the first. Over a short run the heap's thirds
      // sit on different points of V8's collection cycle (a 1-minute CI soak saw 68 → 141 MiB with nothing
      // leaking), so a reduced soak only bounds memory; the trend is judged from 5 minutes up.
      expect(third).toBeGreaterThanOrEqual(5);
      if (SOAK_MS >= TREND_MIN_MS) {
        expect(growth('heapUsed')).toBeLessThan(24 * MiB);
        expect(growth('rss')).toBeLessThan(48 * MiB);
      } else expect(Math.max(...of(judged, 'heapUsed'))).toBeLessThan(384 * MiB);
      expect(Math.max(...ownFds(last))).toBeLessThanOrEqual(Math.max(...ownFds(first)) + 8);
      expect(Math.max(...of(last, 'activeHandles'))).toBeLessThanOrEqual(Math.max(...of(first, 'activeHandles')) + 8);
      expect(ingestP99(last)).toBeLessThanOrEqual(Math.max(2 * ingestP99(first), ingestP99(first) + 50));
      expect(sendP99(last)).toBeLessThanOrEqual(Math.max(2 * sendP99(first), sendP99(first) + 50));
    } finally {
      talk.close();
      await database.close();
    }
  });
});
