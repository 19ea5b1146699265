import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../harness/app.js';
import { alertsOf, createChannel, createRule, startReceiver } from '../harness/alerts.js';
import { bearer, type Person } from '../harness/identity.js';
import {
  countMetricRows,
  createIngestingAgent,
  nowSeconds,
  scrape,
  storedSamples,
  type IngestingAgent,
} from '../harness/metrics.js';
import { gaugeSeries, remoteWriteBody, type RemoteSeries, stockAgentServer } from '../harness/stock-formats.js';

const require = createRequire(import.meta.url);
/** The prometheus-remote-write package: protobufjs with Prometheus' remote.proto, snappy, and an HTTP push. */
const { pushTimeseries } = require('prometheus-remote-write') as {
  pushTimeseries: (
    series: { labels: Record<string, string>; samples: { value: number; timestamp: number }[] }[],
    options: { url: string; fetch: typeof fetch; headers: Record<string, string> },
  ) => Promise<{ status: number; statusText: string; errorMessage?: string }>;
};

type Snapshot = Record<string, unknown>;
const at = (data: Snapshot | undefined, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Snapshot | undefined)?.[key], data);

/** What node_exporter exposes for one machine, as Prometheus forwards it. */
function nodeExporterSeries(instance: string, ms: number): RemoteSeries[] {
  const gib = 1024 ** 3;
  return [
    gaugeSeries('node_memory_MemTotal_bytes', instance, 8 * gib, ms),
    gaugeSeries('node_memory_MemAvailable_bytes', instance, 2 * gib, ms),
    gaugeSeries('node_filesystem_size_bytes', instance, 100 * gib, ms, {
      mountpoint: '/',
      device: '/dev/sda1',
      fstype: 'ext4',
    }),
    gaugeSeries('node_filesystem_avail_bytes', instance, 60 * gib, ms, {
      mountpoint: '/',
      device: '/dev/sda1',
      fstype: 'ext4',
    }),
    gaugeSeries('node_network_receive_bytes_total', instance, 1000, ms, { device: 'eth0' }),
    gaugeSeries('node_network_receive_bytes_total', instance, 999_999, ms, { device: 'lo' }),
    gaugeSeries('node_network_transmit_bytes_total', instance, 400, ms, { device: 'eth0' }),
    gaugeSeries('node_load1', instance, 0.25, ms),
    gaugeSeries('node_cpu_seconds_total', instance, 1234.5, ms, { cpu: '0', mode: 'idle' }),
  ];
}

describe('Prometheus remote_write at POST /api/v1/prom/write', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let stranger: Person;

  beforeAll(async () => {
    ({ t, admin, owner, stranger } = await stockAgentServer());
  });
  afterAll(() => t.close());

  const agentOf = (label: string) => createIngestingAgent(t, admin, { owner, serverId: `srv-prom-${label}` });

  function post(agent: IngestingAgent, body: Buffer | string, headers: Record<string, string> = {}) {
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/prom/write',
      headers: {
        ...bearer(agent.token),
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
        ...headers,
      },
      payload: body,
    });
  }

  it('stores what a real remote_write client pushes, node_exporter names mapped for charts', async () => {
    const agent = await agentOf('client');
    const ms = (nowSeconds() - 20) * 1000;
    const series = nodeExporterSeries(`${agent.serverId}:9100`, ms).map((s) => ({
      labels: Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
      samples: s.samples,
    }));
    const answer = await pushTimeseries(series, {
      url: `${t.url}/api/v1/prom/write`,
      fetch,
      headers: { authorization: `Bearer ${agent.token}`, 'content-encoding': 'snappy' },
    });
    expect(answer.status, answer.errorMessage).toBe(204);

    const stored = await storedSamples(t, agent.agent.id);
    expect(stored.map((s) => s.ts)).toEqual([ms / 1000]);
    const data = stored[0]?.data;
    expect(at(data, 'memory.usage')).toBeCloseTo(75, 6);
    expect(at(data, 'disk.usage')).toBeCloseTo(40, 6);
    expect(at(data, 'network.rx_bytes')).toBe(1000);
    expect(at(data, 'network.tx_bytes')).toBe(400);
    expect(at(data, 'node_load1')).toBe(0.25);

    const latest = await t.app.inject({ url: `/api/v1/metrics/${agent.serverId}`, headers: owner.headers });
    expect(latest.json<{ metrics: { metrics_data: unknown }[] }>().metrics[0]?.metrics_data).toEqual(data);
    const series2 = await t.app.inject({
      url: `/api/v1/agents/${agent.agent.id}/metrics/series?path=node_load1&step=60&from=${new Date(ms - 60_000).toISOString()}`,
      headers: owner.headers,
    });
    expect(series2.json<{ points: { avg: number }[] }>().points.map((p) => p.avg)).toEqual([0.25]);
    const hidden = await t.app.inject({ url: `/api/v1/metrics/${agent.serverId}`, headers: stranger.headers });
    expect(hidden.statusCode).toBe(404);
    expect(
      (await scrape(t, 'agenthub_ingest_requests_total')).get('{format="remote_write",status="204"}'),
    ).toBeGreaterThan(0);
  });

  it('fires a threshold alert on a mapped path, and a resent batch is stored once', async () => {
    const agent = await agentOf('alert');
    const receiver = await startReceiver();
    const channel = await createChannel(t, owner, { kind: 'webhook', name: 'prom hook', url: receiver.url });
    await receiver.close(); // the rule needs a channel; delivery is not under test here
    await createRule(t, owner, {
      name: 'load high',
      kind: 'metric_threshold',
      agent_id: agent.agent.id,
      path: 'node_load1',
      op: '>',
      threshold: 4,
      for: '1m',
      severity: 'warning',
      channel_ids: [channel.channel.id],
    });
    const now = nowSeconds();
    const body = await remoteWriteBody(
      [90, 60, 30, 0].map((ago) => gaugeSeries('node_load1', agent.serverId, 9, (now - ago) * 1000)),
    );
    for (let i = 0; i < 2; i++) expect((await post(agent, body)).statusCode).toBe(204);
    expect(await countMetricRows(t, agent.agent.id)).toBe(4);
    await t.ctx.services.alerting.evaluation.evaluateAll(new Date(now * 1000));
    await t.ctx.services.alerting.evaluation.evaluateAll(new Date(now * 1000));
    const alerts = (await alertsOf(t, owner)).filter((a) => a.agent_id === agent.agent.id);
    expect(alerts.map((a) => [a.state, a.value])).toEqual([['firing', 9]]);
  });

  describe('bad input: a plain-text 4xx and nothing stored', () => {
    let agent: IngestingAgent;
    beforeAll(async () => {
      agent = await agentOf('bad');
    });

    async function refused(res: Awaited<ReturnType<typeof post>>, status: number) {
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body.length).toBeGreaterThan(0);
      expect(res.body).not.toMatch(/at .*\.ts:\d+|select |insert /i);
      expect(await countMetricRows(t, agent.agent.id)).toBe(0);
      return res.body;
    }

    it('refuses garbage, truncated bodies and the wrong content type or encoding', async () => {
      const valid = await remoteWriteBody(nodeExporterSeries(agent.serverId, Date.now()));
      await refused(await post(agent, Buffer.from('not snappy at all')), 400);
      await refused(await post(agent, valid.subarray(0, Math.floor(valid.length / 2))), 400);
      await refused(await post(agent, valid, { 'content-type': 'application/json' }), 415);
      await refused(await post(agent, valid, { 'content-encoding': 'gzip' }), 415);
    });

    it("refuses another machine's instance with 403, old samples with 400 and a snappy bomb with 413", async () => {
      const other = await remoteWriteBody([gaugeSeries('node_load1', 'srv-someone-else:9100', 1, Date.now())]);
      expect(await refused(await post(agent, other), 403)).toContain('srv-someone-else');
      const old = await remoteWriteBody([gaugeSeries('node_load1', agent.serverId, 1, Date.now() - 30 * 86_400_000)]);
      await refused(await post(agent, old), 400);
      // A snappy block whose header claims 1 GiB (varint 0x80 0x80 0x80 0x80 0x04) and little else.
      const bomb = Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04]), Buffer.alloc(64, 0)]);
      await refused(await post(agent, bomb), 413);
    });

    it('answers no credential 401', async () => {
      const res = await post(agent, Buffer.alloc(0), { authorization: '' });
      await refused(res, 401);
    });
  });
});
