import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetAgent } from '../../bench/lib/fleet.js';
import { queryRows } from '../../src/db/client.js';
import { runSummary, spawnAgentCli } from '../harness/agent-cli.js';
import { freePort } from '../harness/cli.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';
import { makeTempDir } from '../harness/temp-dir.js';
import { firstAfter, ingestLoad, isSuccess, MiB, poll, sampleResources, talkLoad, type Answer } from './load.js';
import { reliabilityStore, startServer, type ServerProcess } from './processes.js';
import { seedFleet, seedWorld, type World } from './world.js';

const postgresUrl = process.env['TEST_DATABASE_URL'];
const OUTAGE_MS = Number(process.env['RELIABILITY_OUTAGE_MS'] ?? 30_000);
const WARM_UP_MS = 3000;
/** After the database returns: the service must be back within 5 s; the load runs on a while longer. */
const RECOVERY_LIMIT_MS = 5000;
const AFTER_MS = 8000;
const USER_CODE_LINE = /^\s+([B-Z]{4}-[B-Z]{4})\s*$/;

const mib = (bytes = 0) => (bytes / MiB).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backOff = (a: Answer) => a.status === 503 && /^[1-9]\d*$/.test(a.retryAfter ?? '');

/**
 * Postgres made unreachable for 30 s (a TCP proxy between AgentHub and the database starts refusing and
 * resetting connections) while agents ingest, talk in a room, and the agent CLI reports: readiness turns
 * 503 within 2 s, every refused request is a 503 with Retry-After, memory stays flat, the service comes
 * back by itself within 5 s of the database, and nothing acknowledged — or spooled by the CLI — is lost.
 * PGlite runs inside the process: there is no database to take away, so this runs on Postgres only.
 */
describe.skipIf(!postgresUrl)('a 30 s database outage under mixed load', { timeout: 300_000 }, () => {
  const store = reliabilityStore('outage');
  const agentDir = makeTempDir('outage-agent');
  let proxy: TcpProxy;
  let env: Record<string, string>;
  let base: string;
  let fleet: FleetAgent[];
  let world: World;
  let server: ServerProcess;
  let cliAgentId: string;

  beforeAll(async () => {
    const database = await store.prepare();
    fleet = await seedFleet(database, 3);
    world = await seedWorld(database, { label: 'outage', talkers: 3 });
    const target = new URL(postgresUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { ...store.serverEnv(port), DATABASE_URL: proxy.url(store.url!), DEVICE_POLL_INTERVAL: '1' };
    server = await startServer(env, base);

    // The agent CLI links through the device flow; its owner approves from a database session of their own.
    const link = spawnAgentCli(agentDir.path, ['link', '--server', base, '--server-id', 'srv-outage-cli']);
    const userCode = USER_CODE_LINE.exec(await link.waitForLine(USER_CODE_LINE))?.[1] ?? '';
    const approved = await world.services.devices.approve({ userCode }, world.actor, undefined);
    cliAgentId = approved.agent.id;
    const linked = await link.exited(60_000);
    if (linked.code !== 0) throw new Error(`link failed: ${linked.stderr}`);
    await database.close();
  });
  afterAll(async () => {
    server.child.kill('SIGTERM');
    await server.exited().catch(() => undefined);
    await proxy.close();
    await store.remove();
    agentDir.remove();
  });

  it('answers 503 with Retry-After, keeps memory flat, recovers within 5 s and loses nothing', async () => {
    const readiness = poll(`${base}/readyz`, 100);
    const resources = sampleResources(base, 1000);
    const cli = spawnAgentCli(agentDir.path, ['run', '--interval', '0.5']);
    const ingest = ingestLoad(base, fleet);
    const talk = await talkLoad(base, world.tokens, world.roomId);

    await sleep(WARM_UP_MS);
    const down = Date.now();
    proxy.pause('refuse');
    await sleep(OUTAGE_MS);
    const up = Date.now();
    proxy.resume();
    await sleep(AFTER_MS);
    const cliBack = await cli.waitForLine(/^server back, replayed \d+ snapshots/, 30_000).catch(() => '');
    await Promise.all([ingest.stop(), talk.stop()]);
    cli.child.kill('SIGTERM');
    const cliResult = await cli.exited(60_000);
    await Promise.all([readiness.stop(), resources.stop()]);

    // Readiness: 503 within 2 s of the database going away, 200 again within 5 s of its return.
    const readyDownMs = firstAfter(readiness.answers, down, (a) => a.status === 503);
    const readyUpMs = firstAfter(readiness.answers, up, (a) => a.status === 200);
    // While it was away: every ingest answer that is not a 2xx is a back-off, and no send fails otherwise.
    const during = (a: { at: number }) => a.at > down && a.at <= up;
    const refusedIngest = ingest.answers.filter((a) => !isSuccess(a));
    const refusedSends = talk.answers.filter((a) => !a.ok);
    const ingestUpMs = firstAfter(ingest.answers, up, isSuccess);
    const sendUpMs = firstAfter(talk.answers, up, (a) => a.ok);
    // Memory: the outage's last sample against its first.
    const outageSamples = resources.samples.filter(during);
    const rssGrowth = (outageSamples.at(-1)?.rss ?? 0) - (outageSamples[0]?.rss ?? 0);
    const fds = outageSamples.map((s) => s.openFds);
    const heapGrowth = (outageSamples.at(-1)?.heapUsed ?? 0) - (outageSamples[0]?.heapUsed ?? 0);

    const database = await store.open();
    try {
      const samples = await queryRows<{ agent_id: string; t: number; n: number }>(
        database.db,
        sql`select agent_id, extract(epoch from ts)::float8 as t, count(*)::int as n from metrics_data group by 1, 2`,
      );
      const messages = await queryRows<{ id: string; seq: string | number }>(
        database.db,
        sql`select id, seq from messages where room_id = ${world.roomId} order by seq`,
      );
      const storedSamples = new Set(samples.map((r) => `${r.agent_id}@${Math.round(r.t * 1000) / 1000}`));
      let lostSamples = 0;
      for (const [agentId, acked] of ingest.acked)
        for (const ts of acked) if (!storedSamples.has(`${agentId}@${Math.round(ts * 1000) / 1000}`)) lostSamples++;
      const storedMessages = new Set(messages.map((m) => m.id));
      const lostMessages = [...talk.acked].filter((id) => !storedMessages.has(id)).length;
      const seqs = messages.map((m) => Number(m.seq));
      const last = seqs.at(-1) ?? 0;
      const deadline = Date.now() + 30_000;
      while (talk.members.some((m) => (m.received.at(-1) ?? 0) < last) && Date.now() < deadline) await sleep(100);
      const cliRows = samples.filter((r) => r.agent_id === cliAgentId);
      const summary = runSummary(cliResult.stdout);
      const ackedSamples = [...ingest.acked.values()].reduce((n, s) => n + s.size, 0);

      console.info(
        [
          `outage: ${OUTAGE_MS / 1000} s; readyz 503 after ${readyDownMs} ms, 200 again ${readyUpMs} ms after the database`,
          `ingest: ${ackedSamples} samples acknowledged, ${lostSamples} lost, ${refusedIngest.length} refused ` +
            `(${refusedIngest.filter(backOff).length} with 503 + Retry-After), first 2xx ${ingestUpMs} ms after`,
          `messages: ${talk.acked.size} acknowledged, ${lostMessages} lost, ${refusedSends.length} refused ` +
            `(${[...new Set(refusedSends.map((a) => a.error))].join(', ')}), first ack ${sendUpMs} ms after`,
          `cli: ${summary['collected']} collected, ${cliRows.length} stored; ${cliBack.trim()}; ${cliResult.stderr.trim()}`,
          `memory during the outage: rss ${mib(outageSamples[0]?.rss)} → ${mib(outageSamples.at(-1)?.rss)} MiB, ` +
            `heap ${mib(heapGrowth)} MiB growth; open fds ${Math.min(...fds)}–${Math.max(...fds)}`,
        ].join('\n'),
      );

      expect(server.child.exitCode, 'the server process ended').toBeNull();
      expect(readyDownMs).toBeLessThanOrEqual(2000);
      expect(readyUpMs).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
      expect(refusedIngest.length).toBeGreaterThan(0);
      expect(refusedIngest.filter((a) => !backOff(a))).toEqual([]);
      expect(refusedSends.length).toBeGreaterThan(0);
      expect(refusedSends.filter((a) => a.error !== 'unavailable')).toEqual([]);
      // Refusals only while the database was away or coming back.
      expect(refusedIngest.filter((a) => a.at < down || a.at > up + RECOVERY_LIMIT_MS)).toEqual([]);
      expect(ingestUpMs).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
      expect(sendUpMs).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
      expect(rssGrowth).toBeLessThan(64 * MiB);
      expect(lostSamples).toBe(0);
      expect(lostMessages).toBe(0);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      // Every member received every message, in order, once (replay fills what a refused moment skipped).
      for (const member of talk.members) expect(member.received).toEqual(seqs);
      // The CLI spooled through the outage and replayed: every snapshot it took is stored, once.
      expect(cliResult.code, cliResult.stderr).toBe(0);
      expect(summary).toMatchObject({ dropped: 0, rejected: 0, spool_depth: 0 });
      expect(Number(/replayed (\d+)/.exec(cliBack)?.[1])).toBeGreaterThan(0);
      expect(cliRows.length).toBe(summary['collected']);
      expect(cliRows.every((r) => r.n === 1)).toBe(true);
    } finally {
      talk.close();
      await database.close();
    }
  });
});
