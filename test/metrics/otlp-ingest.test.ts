import { gzipSync } from 'node:zlib';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as OTLPJsonExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import protobuf from 'protobufjs';
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
import { otlpJsonBody, stockAgentServer } from '../harness/stock-formats.js';

type Snapshot = Record<string, unknown>;
const at = (data: Snapshot | undefined, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Snapshot | undefined)?.[key], data);

/**
 * What the official OpenTelemetry JS SDK measures, exported by the official OTLP/HTTP exporters in both encodings:
 * hostmetrics-named gauges, a counter, an up-down counter and a histogram.
 */
async function exportOnce(exporter: PushMetricExporter, serverId: string): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'host.name': serverId, 'service.name': 'otel-test' }),
    readers: [reader],
  });
  const meter = provider.getMeter('agenthub-test');
  meter.createObservableGauge('system.memory.utilization').addCallback((r) => {
    r.observe(0.61, { state: 'used' });
    r.observe(0.39, { state: 'free' });
  });
  meter.createObservableGauge('system.cpu.utilization').addCallback((r) => {
    for (const cpu of ['cpu0', 'cpu1']) {
      r.observe(0.2, { cpu, state: 'user' });
      r.observe(0.7, { cpu, state: 'idle' });
    }
  });
  meter.createObservableGauge('system.filesystem.utilization').addCallback((r) => {
    r.observe(0.42, { mountpoint: '/', device: '/dev/sda1', type: 'ext4', mode: 'rw' });
  });
  meter.createCounter('app.requests').add(7, { route: 'checkout' });
  meter.createUpDownCounter('app.queue.depth').add(3);
  const latency = meter.createHistogram('app.latency', { unit: 'ms' });
  for (const ms of [3, 8, 120]) latency.record(ms);
  // forceFlush rejects when the export fails: the server's answer is checked by the exporter itself.
  await reader.forceFlush();
  await provider.shutdown();
}

describe('OTLP/HTTP metrics at POST /v1/metrics', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let stranger: Person;

  beforeAll(async () => {
    ({ t, admin, owner, stranger } = await stockAgentServer());
  });
  afterAll(() => t.close());

  const agentOf = (label: string) => createIngestingAgent(t, admin, { owner, serverId: `srv-otlp-${label}` });

  function post(agent: IngestingAgent, body: string | Buffer, headers: Record<string, string> = {}) {
    return t.app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: { ...bearer(agent.jwt), 'content-type': 'application/json', ...headers },
      payload: body,
    });
  }

  for (const [encoding, make] of [
    [
      'protobuf',
      (url: string, token: string) => new OTLPProtoExporter({ url, headers: { authorization: `Bearer ${token}` } }),
    ],
    [
      'JSON',
      (url: string, token: string) =>
        new OTLPJsonExporter({
          url,
          headers: { authorization: `Bearer ${token}` },
          temporalityPreference: AggregationTemporalityPreference.DELTA,
        }),
    ],
  ] as const) {
    it(`stores what the official SDK exports over ${encoding}, mapped for charts and reads`, async () => {
      const agent = await agentOf(encoding.toLowerCase());
      await exportOnce(make(`${t.url}/v1/metrics`, agent.token), agent.serverId);

      // forceFlush exports once, and the provider's shutdown exports its final collection again.
      const stored = await storedSamples(t, agent.agent.id);
      expect(stored.length).toBeGreaterThanOrEqual(1);
      const data = stored[0]?.data;
      expect(at(data, 'memory.usage')).toBeCloseTo(61, 6);
      expect(at(data, 'cpu.usage')).toBeCloseTo(30, 6);
      expect(at(data, 'disk.usage')).toBeCloseTo(42, 6);
      expect(JSON.stringify(data)).toContain('app');
      expect(at(data, 'app.latency.count')).toBe(3);
      expect(Math.abs((stored[0]?.ts ?? 0) - Date.now() / 1000)).toBeLessThan(60);

      const latest = await t.app.inject({ url: `/api/v1/metrics/${agent.serverId}`, headers: owner.headers });
      expect(latest.json<{ metrics: { metrics_data: unknown }[] }>().metrics.at(-1)?.metrics_data).toEqual(data);
      const series = await t.app.inject({
        url: `/api/v1/agents/${agent.agent.id}/metrics/series?path=memory.usage&step=60`,
        headers: owner.headers,
      });
      expect(series.json<{ points: { avg: number }[] }>().points.map((p) => Math.round(p.avg))).toEqual([61]);
      const hidden = await t.app.inject({ url: `/api/v1/metrics/${agent.serverId}`, headers: stranger.headers });
      expect(hidden.statusCode).toBe(404);
    });
  }

  it('fires a threshold alert on a mapped hostmetrics path', async () => {
    const agent = await agentOf('alert');
    const receiver = await startReceiver();
    const channel = await createChannel(t, owner, { kind: 'webhook', name: 'otlp hook', url: receiver.url });
    await receiver.close(); // the rule needs a channel; delivery is not under test here
    await createRule(t, owner, {
      name: 'memory high',
      kind: 'metric_threshold',
      agent_id: agent.agent.id,
      path: 'memory.usage',
      op: '>',
      threshold: 90,
      for: '1m',
      severity: 'warning',
      channel_ids: [channel.channel.id],
    });
    const now = nowSeconds();
    for (const ago of [90, 60, 30, 0]) {
      const res = await post(
        agent,
        otlpJsonBody(agent.serverId, 'system.memory.utilization', 0.97, (now - ago) * 1000, { state: 'used' }),
      );
      expect(res.statusCode, res.body).toBe(200);
    }
    await t.ctx.services.alerting.evaluation.evaluateAll(new Date(now * 1000));
    await t.ctx.services.alerting.evaluation.evaluateAll(new Date(now * 1000));
    const alerts = (await alertsOf(t, owner)).filter((a) => a.agent_id === agent.agent.id);
    expect(alerts.map((a) => a.state)).toEqual(['firing']);
  });

  it('answers an empty request with an empty ExportMetricsServiceResponse, and counts the request', async () => {
    const agent = await agentOf('empty');
    const res = await post(agent, JSON.stringify({ resourceMetrics: [] }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
    expect((await scrape(t, 'agenthub_ingest_requests_total')).get('{format="otlp",status="200"}')).toBeGreaterThan(0);
  });

  describe('bad input: a google.rpc.Status 4xx and nothing stored', () => {
    let agent: IngestingAgent;
    beforeAll(async () => {
      agent = await agentOf('bad');
    });
    const status = new protobuf.Type('Status')
      .add(new protobuf.Field('code', 1, 'int32'))
      .add(new protobuf.Field('message', 2, 'string'));
    new protobuf.Root().add(status);

    async function refused(res: Awaited<ReturnType<typeof post>>, httpStatus: number) {
      expect(res.statusCode, res.body).toBe(httpStatus);
      const type = String(res.headers['content-type'] ?? '');
      const body: { code: number; message: string } = type.startsWith('application/json')
        ? res.json()
        : (status.toObject(status.decode(res.rawPayload)) as { code: number; message: string });
      expect(body.code).toBeGreaterThan(0);
      expect(body.message).toEqual(expect.any(String));
      expect(res.body).not.toMatch(/at .*\.ts:\d+|select |insert /i);
      expect(await countMetricRows(t, agent.agent.id)).toBe(0);
      return body;
    }

    it('refuses garbage and truncated protobuf, malformed JSON and another content type', async () => {
      const proto = { 'content-type': 'application/x-protobuf' };
      await refused(await post(agent, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), proto), 400);
      await refused(await post(agent, Buffer.from([0x0a, 0x50, 0x0a]), proto), 400);
      await refused(await post(agent, '{"resourceMetrics": [ {'), 400);
      await refused(await post(agent, '{"resourceMetrics": "nope"}'), 400);
      await refused(await post(agent, 'cpu usage=1', { 'content-type': 'text/plain' }), 415);
    });

    it("refuses another agent's host.name with 403 and a gzip bomb with 413", async () => {
      const body = otlpJsonBody('srv-someone-else', 'system.memory.utilization', 0.5, Date.now());
      const error = await refused(await post(agent, body), 403);
      expect(error.code).toBe(7); // PERMISSION_DENIED
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, ' '));
      await refused(await post(agent, bomb, { 'content-encoding': 'gzip' }), 413);
    });

    it('refuses deeply nested attributes', async () => {
      let value: object = { stringValue: 'leaf' };
      for (let i = 0; i < 64; i++) value = { kvlistValue: { values: [{ key: `k${i}`, value }] } };
      const body = JSON.parse(otlpJsonBody(agent.serverId, 'x', 1, Date.now())) as {
        resourceMetrics: { resource: { attributes: unknown[] } }[];
      };
      body.resourceMetrics[0]!.resource.attributes.push({ key: 'deep', value });
      await refused(await post(agent, JSON.stringify(body)), 400);
    });

    it('answers no credential 401', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/metrics',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      await refused(res, 401);
    });
  });
});
