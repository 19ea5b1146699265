/**
 * OTLP/HTTP metrics: the decoder (vendored official definitions, proto/README.md) and the mapping onto snapshots.
 *
 * Requests are produced by the official OpenTelemetry JS SDK (@opentelemetry/sdk-metrics) and serialised by the
 * official exporters' serializers (@opentelemetry/otlp-transformer's ProtobufMetricsSerializer and
 * JsonMetricsSerializer). The hostmetrics fixture uses the names, attributes and data kinds of the Collector's
 * hostmetrics receiver, from github.com/open-telemetry/opentelemetry-collector-contrib,
 * receiver/hostmetricsreceiver/internal/scraper/:
 *   cpuscraper/metadata.yaml         (commit 084978a93183d884eea709b702e30bf4fa236d76)
 *   memoryscraper/metadata.yaml      (commit 013a5c5a7965300305c2942737407ac87731bd30)
 *   filesystemscraper/metadata.yaml  (commit 0adc4d17569aea1a3be34b4e562d319c9c5289e1)
 *   networkscraper/metadata.yaml     (commit 0172c6cdcc2196ca18ce6c8326b14b21a573cbec)
 */
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, type IngestSample } from '../../../src/modules/metrics/formats/ingest-sample.js';
import { decodeOtlpMetrics, otlpType, type OtlpRequest } from '../../../src/modules/metrics/formats/otlp.decoder.js';
import { otlpToSamples } from '../../../src/modules/metrics/formats/otlp.mapping.js';
import { checkMetricsShape } from '../../../src/modules/metrics/metrics-shape.js';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const REQUEST = 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest';
const NOW = 1_700_000_100;

type Snapshot = Record<string, unknown>;
const at = (data: Snapshot | undefined, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Snapshot | undefined)?.[key], data);

/** A reader the test collects from on demand (what PeriodicExportingMetricReader does on its timer). */
class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  async resourceMetrics(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await this.collect();
    expect(errors).toEqual([]);
    return resourceMetrics;
  }
}

/** The SDK measuring hostmetrics-named gauges and counters, an app counter, up-down counter and histograms. */
function instrumented() {
  const cumulative = new CollectingReader();
  const delta = new CollectingReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'host.name': 'srv-otel-1', 'service.name': 'otel-test' }),
    readers: [cumulative, delta],
    views: [{ instrumentName: 'app.payload', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('agenthub-test');
  meter.createObservableGauge('system.cpu.utilization').addCallback((r) => {
    for (const cpu of ['cpu0', 'cpu1']) {
      r.observe(0.2, { cpu, state: 'user' });
      r.observe(cpu === 'cpu0' ? 0.7 : 0.5, { cpu, state: 'idle' });
    }
  });
  meter.createObservableGauge('system.memory.utilization').addCallback((r) => {
    r.observe(0.61, { state: 'used' });
    r.observe(0.39, { state: 'free' });
  });
  meter.createObservableGauge('system.filesystem.utilization').addCallback((r) => {
    r.observe(0.42, { mountpoint: '/', device: '/dev/sda1', type: 'ext4', mode: 'rw' });
    r.observe(0.1, { mountpoint: '/boot', device: '/dev/sda2', type: 'vfat', mode: 'rw' });
  });
  meter.createObservableCounter('system.network.io', { unit: 'By' }).addCallback((r) => {
    r.observe(1000, { device: 'eth0', direction: 'receive' });
    r.observe(400, { device: 'eth0', direction: 'transmit' });
    r.observe(99_999, { device: 'lo', direction: 'receive' });
  });
  const requests = meter.createCounter('app.requests');
  const queue = meter.createUpDownCounter('app.queue.depth');
  const latency = meter.createHistogram('app.latency', { unit: 'ms' });
  const payload = meter.createHistogram('app.payload', { unit: 'By' });
  return { provider, cumulative, delta, requests, queue, latency, payload };
}

function encode(resourceMetrics: ResourceMetrics, encoding: typeof PROTOBUF | typeof JSON_TYPE): Buffer {
  const serializer = encoding === PROTOBUF ? ProtobufMetricsSerializer : JsonMetricsSerializer;
  const bytes = serializer.serializeRequest(resourceMetrics);
  if (!bytes) throw new Error('the serializer produced nothing');
  return Buffer.from(bytes);
}

function only(samples: IngestSample[]): Snapshot {
  expect(samples).toHaveLength(1);
  return samples[0]!.metrics;
}

describe('decodeOtlpMetrics and otlpToSamples on what the official SDK exports', () => {
  for (const encoding of [PROTOBUF, JSON_TYPE] as const) {
    it(`decodes and maps gauges, cumulative and delta sums and histograms (${encoding})`, async () => {
      const sdk = instrumented();
      sdk.requests.add(7, { route: 'checkout' });
      sdk.queue.add(3);
      for (const ms of [3, 8, 120]) sdk.latency.record(ms);
      for (const bytes of [10, 100, 1000]) sdk.payload.record(bytes);
      await sdk.cumulative.resourceMetrics();
      await sdk.delta.resourceMetrics();
      sdk.requests.add(5, { route: 'checkout' });
      const cumulative = decodeOtlpMetrics(encode(await sdk.cumulative.resourceMetrics(), encoding), encoding);
      const delta = decodeOtlpMetrics(encode(await sdk.delta.resourceMetrics(), encoding), encoding);
      await sdk.provider.shutdown();

      const metricOf = (request: OtlpRequest, name: string) =>
        request.resourceMetrics[0]!.scopeMetrics[0]!.metrics.find((m) => m.name === name)?.data;
      expect(metricOf(cumulative, 'app.requests')).toMatchObject({ type: 'sum', temporality: 2, isMonotonic: true });
      expect(metricOf(delta, 'app.requests')).toMatchObject({ type: 'sum', temporality: 1, isMonotonic: true });
      expect(metricOf(cumulative, 'app.queue.depth')).toMatchObject({ type: 'sum', isMonotonic: false });
      expect(metricOf(cumulative, 'system.cpu.utilization')?.type).toBe('gauge');
      expect(metricOf(cumulative, 'app.payload')?.type).toBe('exponentialHistogram');
      const time = cumulative.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data!.dataPoints[0]!.timeUnixNano;
      expect(Math.abs(Number(time / 1_000_000n) - Date.now())).toBeLessThan(60_000);

      const mapped = otlpToSamples(cumulative, NOW);
      expect(mapped.rejectedDataPoints).toBe(0);
      expect(mapped.resources.map((r) => r.host)).toEqual(['srv-otel-1']);
      const data = only(mapped.resources[0]!.samples);
      expect(checkMetricsShape(data)).toBeUndefined();
      expect(at(data, 'system.cpu.utilization.cpu0.idle')).toBe(0.7);
      expect(at(data, 'system.cpu.utilization.cpu1.user')).toBe(0.2);
      expect(at(data, 'cpu.usage')).toBeCloseTo(40, 9); // idle averages 0.6 over the two CPUs
      expect(at(data, 'system.memory.utilization.used')).toBe(0.61);
      expect(at(data, 'memory.usage')).toBeCloseTo(61, 9);
      expect(at(data, 'system.filesystem.utilization./boot')).toBe(0.1);
      expect(at(data, 'disk.usage')).toBeCloseTo(42, 9);
      expect(at(data, 'system.network.io.eth0.receive')).toBe(1000);
      expect(at(data, 'network.rx_bytes')).toBe(1000);
      expect(at(data, 'network.tx_bytes')).toBe(400);
      expect(at(data, 'app.requests.route_checkout')).toBe(12);
      expect(at(data, 'app.queue.depth')).toBe(3);
      expect(at(data, 'app.latency')).toEqual({
        count: 3,
        sum: 131,
        min: 3,
        max: 120,
        buckets: {
          '0': 0,
          '5': 1,
          '10': 2,
          '25': 2,
          '50': 2,
          '75': 2,
          '100': 2,
          '250': 3,
          '500': 3,
          '750': 3,
          '1000': 3,
          '2500': 3,
          '5000': 3,
          '7500': 3,
          '10000': 3,
          inf: 3,
        },
      });
      expect(at(data, 'app.payload')).toMatchObject({ count: 3, sum: 1110, min: 10, max: 1000 });
      expect(at(only(otlpToSamples(delta, NOW).resources[0]!.samples), 'app.requests.route_checkout')).toBe(5);
    });
  }

  it('keeps the exact nanosecond time of every point and makes one snapshot per instant', () => {
    const gauge = (ns: string, value: number) => ({ timeUnixNano: ns, asDouble: value });
    const body = json({
      resourceMetrics: [
        resource('srv-a', [
          { name: 'load', gauge: { dataPoints: [gauge('1700000000123456789', 1), gauge('1700000000123400000', 2)] } },
          { name: 'temp', gauge: { dataPoints: [gauge('1700000000123499999', 3), gauge('1700000060000000000', 4)] } },
        ]),
      ],
    });
    const request = decodeOtlpMetrics(body, JSON_TYPE);
    const points = request.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data!.dataPoints;
    expect(points[0]!.timeUnixNano).toBe(1_700_000_000_123_456_789n);
    const samples = otlpToSamples(request, NOW).resources[0]!.samples;
    expect(samples).toEqual([
      { timestamp: 1_700_000_000.123, metrics: { load: 2, temp: 3 } },
      { timestamp: 1_700_000_060, metrics: { temp: 4 } },
    ]);
  });
});

/** The default hostmetrics scrapers (utilization gauges are off by default), as the Collector's otlphttp sends. */
function hostmetricsRequest(host: string) {
  const ns = '1700000000000000000';
  const attrs = (pairs: Record<string, string>) =>
    Object.entries(pairs).map(([key, value]) => ({ key, value: { stringValue: value } }));
  const sum = (name: string, unit: string, points: [Record<string, string>, number, 'int' | 'double'][]) => ({
    name,
    unit,
    sum: {
      aggregationTemporality: 2,
      isMonotonic: !name.includes('usage'),
      dataPoints: points.map(([a, v, kind]) => ({
        attributes: attrs(a),
        startTimeUnixNano: '1699990000000000000',
        timeUnixNano: ns,
        ...(kind === 'int' ? { asInt: String(v) } : { asDouble: v }),
      })),
    },
  });
  const fs = { device: '/dev/nvme0n1p2', mode: 'rw', mountpoint: '/', type: 'ext4' };
  const gib = 1024 ** 3;
  return {
    resourceMetrics: [
      {
        resource: { attributes: attrs({ 'host.name': host, 'os.type': 'linux' }) },
        scopeMetrics: [
          {
            scope: {
              name: 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/hostmetricsreceiver/internal/scraper/cpuscraper',
              version: '0.115.0',
            },
            metrics: [
              sum('system.cpu.time', 's', [
                [{ cpu: 'cpu0', state: 'idle' }, 9000.5, 'double'],
                [{ cpu: 'cpu0', state: 'user' }, 700.25, 'double'],
              ]),
            ],
          },
          {
            scope: { name: 'memoryscraper' },
            metrics: [
              sum('system.memory.usage', 'By', [
                [{ state: 'used' }, 3 * gib, 'int'],
                [{ state: 'free' }, 1 * gib, 'int'],
                [{ state: 'buffered' }, 1 * gib, 'int'],
                [{ state: 'cached' }, 3 * gib, 'int'],
              ]),
            ],
          },
          {
            scope: { name: 'filesystemscraper' },
            metrics: [
              sum('system.filesystem.usage', 'By', [
                [{ ...fs, state: 'used' }, 30 * gib, 'int'],
                [{ ...fs, state: 'free' }, 65 * gib, 'int'],
                [{ ...fs, state: 'reserved' }, 5 * gib, 'int'],
              ]),
            ],
          },
          {
            scope: { name: 'networkscraper' },
            metrics: [
              sum('system.network.io', 'By', [
                [{ device: 'eth0', direction: 'receive' }, 5000, 'int'],
                [{ device: 'wlan0', direction: 'receive' }, 250, 'int'],
                [{ device: 'eth0', direction: 'transmit' }, 800, 'int'],
                [{ device: 'lo', direction: 'transmit' }, 1e9, 'int'],
              ]),
            ],
          },
          {
            scope: { name: 'loadscraper' },
            metrics: [
              { name: 'system.cpu.load_average.1m', gauge: { dataPoints: [{ timeUnixNano: ns, asDouble: 0.42 }] } },
            ],
          },
        ],
      },
    ],
  };
}

describe('the hostmetrics receiver', () => {
  it('maps the default scrapers onto instance paths and derives memory, disk and network from them', () => {
    const request = decodeOtlpMetrics(json(hostmetricsRequest('srv-host-1')), JSON_TYPE);
    const mapped = otlpToSamples(request, NOW);
    expect(mapped.rejectedDataPoints).toBe(0);
    expect(mapped.resources[0]!.host).toBe('srv-host-1');
    const data = only(mapped.resources[0]!.samples);
    expect(mapped.resources[0]!.samples[0]!.timestamp).toBe(1_700_000_000);
    expect(checkMetricsShape(data)).toBeUndefined();
    expect(at(data, 'system.cpu.time.cpu0.idle')).toBe(9000.5);
    expect(at(data, 'system.memory.usage.used')).toBe(3 * 1024 ** 3);
    expect(at(data, 'system.filesystem.usage./.free')).toBe(65 * 1024 ** 3);
    expect(at(data, 'system.cpu.load_average.1m')).toBe(0.42);
    expect(at(data, 'memory.usage')).toBeCloseTo(37.5, 9); // used / (used + free + buffered + cached)
    expect(at(data, 'disk.usage')).toBeCloseTo(30, 9); // used / (used + free + reserved)
    expect(at(data, 'network.rx_bytes')).toBe(5250);
    expect(at(data, 'network.tx_bytes')).toBe(800);
    expect(at(data, 'cpu.usage')).toBeUndefined(); // a rate of system.cpu.time: not derived from one reading
  });

  it('names the resource by service.instance.id when host.name is absent', () => {
    const body = json({
      resourceMetrics: [
        { resource: { attributes: [{ key: 'service.instance.id', value: { stringValue: 'srv-svc' } }] } },
        { scopeMetrics: [] },
      ],
    });
    expect(otlpToSamples(decodeOtlpMetrics(body, JSON_TYPE), NOW).resources.map((r) => r.host)).toEqual([
      'srv-svc',
      undefined,
    ]);
  });
});

function resource(host: string, metrics: unknown[]) {
  return {
    resource: { attributes: [{ key: 'host.name', value: { stringValue: host } }] },
    scopeMetrics: [{ scope: { name: 'test' }, metrics }],
  };
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function protobufOf(value: Record<string, unknown>): Buffer {
  const type = otlpType(REQUEST);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

describe('OTLP/JSON as the specification writes it', () => {
  it('takes 64-bit integers as strings or numbers, enums as integers and exemplar ids as hex', () => {
    const body = json({
      resourceMetrics: [
        resource('srv-json', [
          {
            name: 'ints',
            sum: {
              aggregationTemporality: 1,
              isMonotonic: true,
              dataPoints: [
                {
                  timeUnixNano: 1_700_000_000_000_000_000,
                  asInt: 42,
                  attributes: [{ key: 'n', value: { intValue: 7 } }],
                },
                {
                  timeUnixNano: '1700000000000000000',
                  asInt: '9007199254740993',
                  attributes: [{ key: 'big', value: { intValue: '9007199254740993' } }],
                  exemplars: [
                    {
                      timeUnixNano: '1',
                      asDouble: 1,
                      traceId: '5b8efff798038103d269b633813fc60c',
                      spanId: 'eee19b7ec3c1b174',
                    },
                  ],
                },
              ],
            },
          },
        ]),
      ],
    });
    const request = decodeOtlpMetrics(body, JSON_TYPE);
    const data = request.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data;
    expect(data).toMatchObject({ type: 'sum', temporality: 1 });
    expect(data!.dataPoints[1]).toMatchObject({ value: 9007199254740992, exemplarCount: 1 });
    expect(data!.dataPoints[1]!.attributes).toEqual({ big: '9007199254740993' });
    const samples = otlpToSamples(request, NOW).resources[0]!.samples;
    expect(samples).toEqual([
      { timestamp: 1_700_000_000, metrics: { ints: { n_7: 42, big_9007199254740993: 9007199254740992 } } },
    ]);
  });

  it('gives a point without a time the server time, and rejects what has no storable value', () => {
    const point = (extra: Record<string, unknown>) => ({ timeUnixNano: '1700000000000000000', ...extra });
    const body = json({
      resourceMetrics: [
        resource('srv-rej', [
          { name: 'ok', gauge: { dataPoints: [{ asDouble: 1 }] } },
          {
            name: 'bad',
            gauge: {
              dataPoints: [
                point({ asDouble: 'NaN' }),
                point({}),
                point({ exemplars: [{ asDouble: 3 }] }),
                point({ asDouble: 2, flags: 1 }),
                point({ asDouble: 2, attributes: [{ key: 'k', value: { stringValue: 'x' } }] }),
              ],
            },
          },
          {
            name: 'system.filesystem.utilization',
            gauge: {
              dataPoints: [
                point({ asDouble: 0.5, attributes: [{ key: 'mountpoint', value: { stringValue: 'a\u0000' } }] }),
              ],
            },
          },
          { name: 'h', histogram: { dataPoints: [point({ count: '1', sum: 'Infinity' })] } },
        ]),
      ],
    });
    const mapped = otlpToSamples(decodeOtlpMetrics(body, JSON_TYPE), NOW);
    expect(mapped.rejectedDataPoints).toBe(6);
    expect(mapped.errorMessage).toBe(
      '6 data points not stored: 2 NaN or infinite, 3 without a value, 1 with an attribute or name that cannot be a key',
    );
    expect(mapped.resources[0]!.samples).toEqual([
      { timestamp: 1_700_000_000, metrics: { bad: { k_x: 2 } } },
      { timestamp: NOW, metrics: { ok: 1 } },
    ]);
  });

  it('keeps deep names and attribute sets within the snapshot limits', () => {
    const long = 'x'.repeat(300);
    const body = json({
      resourceMetrics: [
        resource('srv-deep', [
          { name: 'a.b.c.d.e.f.g.h', gauge: { dataPoints: [{ asDouble: 1 }] } },
          {
            name: 'm.n.o.p.q',
            histogram: { dataPoints: [{ count: 1, sum: 1, bucketCounts: [1, 0], explicitBounds: [0.5] }] },
          },
          {
            name: 'labels',
            gauge: { dataPoints: [{ asDouble: 2, attributes: [{ key: 'k', value: { stringValue: long } }] }] },
          },
        ]),
      ],
    });
    const data = only(otlpToSamples(decodeOtlpMetrics(body, JSON_TYPE), NOW).resources[0]!.samples);
    expect(checkMetricsShape(data)).toBeUndefined();
    expect(at(data, 'a.b.c.d.e.f_g_h')).toBe(1);
    expect(at(data, 'm.n.o.p_q.buckets.0_5')).toBe(1);
    const [segment] = Object.keys(at(data, 'labels') as Snapshot);
    expect(segment).toMatch(/^k_x{53}_[0-9a-f]{8}$/);
  });
});

describe('bad input is a FormatError (400)', () => {
  function failure(body: Buffer | string, encoding: typeof PROTOBUF | typeof JSON_TYPE): FormatError {
    try {
      decodeOtlpMetrics(Buffer.from(body), encoding);
    } catch (error) {
      expect(error).toBeInstanceOf(FormatError);
      expect((error as FormatError).status).toBe(400);
      return error as FormatError;
    }
    throw new Error('decoded without an error');
  }

  it('refuses garbage and truncated protobuf, malformed JSON and the wrong JSON', () => {
    expect(failure(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), PROTOBUF).message).toMatch(/protobuf/);
    failure(Buffer.from([0x0a, 0x50, 0x0a]), PROTOBUF);
    failure('{"resourceMetrics": [ {', JSON_TYPE);
    failure('[]', JSON_TYPE);
    failure('null', JSON_TYPE);
    failure(Buffer.from([0x7b, 0xff, 0x7d]), JSON_TYPE);
    failure('{"resourceMetrics": "nope"}', JSON_TYPE);
    failure('{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"gauge": {"dataPoints": 5}}]}]}]}', JSON_TYPE);
    expect(
      failure(
        json({ resourceMetrics: [resource('h', [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: '-5' }] } }])] }),
        JSON_TYPE,
      ).message,
    ).toMatch(/timeUnixNano/);
    failure(
      json({
        resourceMetrics: [resource('h', [{ name: 'g', gauge: { dataPoints: [{ exemplars: [{ traceId: 'xyz' }] }] } }])],
      }),
      JSON_TYPE,
    );
  });

  it('takes attribute values nested 8 levels deep and refuses a ninth, in either encoding', () => {
    const nested = (levels: number) => {
      let value: Record<string, unknown> = { stringValue: 'leaf' };
      for (let i = 0; i < levels; i++)
        value = i % 2 ? { arrayValue: { values: [value] } } : { kvlistValue: { values: [{ key: `k${i}`, value }] } };
      return {
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'deep', value }] },
            scopeMetrics: [
              {
                metrics: [
                  { name: 'g', gauge: { dataPoints: [{ asDouble: 1, attributes: [{ key: 'deep', value }] }] } },
                ],
              },
            ],
          },
        ],
      };
    };
    for (const encode of [(v: Record<string, unknown>) => json(v), protobufOf]) {
      expect(() => decodeOtlpMetrics(encode(nested(8)), encode === protobufOf ? PROTOBUF : JSON_TYPE)).not.toThrow();
      for (const levels of [9, 64, 300]) {
        const encoding = encode === protobufOf ? PROTOBUF : JSON_TYPE;
        if (encoding === PROTOBUF && levels > 30) continue; // protobufjs' own encoder stops at depth 100
        expect(failure(encode(nested(levels)), encoding).message).toMatch(/nested deeper/);
      }
    }
    // A hand-built binary AnyValue nested 10,000 levels: protobufjs' decoder stops at depth 100.
    let value: Buffer = Buffer.from([0x0a, 0x01, 0x61]); // AnyValue{string_value: "a"}
    for (let i = 0; i < 10_000; i++) value = wrap(5, wrap(1, value)); // AnyValue{array_value: {values: [value]}}
    const keyValue = Buffer.concat([wrap(1, Buffer.from('k')), wrap(2, value)]);
    const body = wrap(1, wrap(1, wrap(1, keyValue))); // request.resource_metrics.resource.attributes
    failure(body, PROTOBUF);
  });
});

/** A length-delimited protobuf field. */
function wrap(field: number, bytes: Buffer): Buffer {
  const varint: number[] = [];
  for (let n = bytes.length; ; n >>>= 7) {
    if (n < 0x80) {
      varint.push(n);
      break;
    }
    varint.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint]), bytes]);
}

describe('fuzzing: only FormatError, and what decodes maps within the snapshot limits', () => {
  const decodesOrFormatError = (body: Buffer, encoding: typeof PROTOBUF | typeof JSON_TYPE) => {
    let request: OtlpRequest;
    try {
      request = decodeOtlpMetrics(body, encoding);
    } catch (error) {
      if (!(error instanceof FormatError) || error.status !== 400) throw error;
      return;
    }
    const mapped = otlpToSamples(request, NOW);
    for (const { samples } of mapped.resources)
      for (const sample of samples) {
        expect(Number.isFinite(sample.timestamp)).toBe(true);
        expect(checkMetricsShape(sample.metrics)).toBeUndefined();
      }
  };
  const valid = [
    protobufOf(hostmetricsRequest('srv-fuzz')),
    protobufOf({
      resourceMetrics: [
        resource('h', [
          {
            name: 'h',
            histogram: {
              dataPoints: [
                {
                  count: 2,
                  sum: 3,
                  bucketCounts: [1, 1],
                  explicitBounds: [1],
                  exemplars: [{ asInt: 4, spanId: 'AQIDBAUGBwg=' }],
                },
              ],
            },
          },
        ]),
      ],
    }),
  ];

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => decodesOrFormatError(Buffer.from(bytes), PROTOBUF)),
      { numRuns: 10_000 },
    );
  });

  it('truncations and byte flips of valid encodings', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (body, cut, flips) => {
          const copy = Buffer.from(body.subarray(0, cut % (body.length + 1)));
          for (const [at, byte] of flips) if (copy.length > 0) copy[at % copy.length] = byte;
          decodesOrFormatError(copy, PROTOBUF);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('random JSON, and valid OTLP/JSON with values replaced at random', () => {
    const base = hostmetricsRequest('srv-fuzz');
    const paths: (string | number)[][] = [];
    const walk = (node: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (node && typeof node === 'object')
        for (const [key, child] of Object.entries(node))
          walk(child, [...path, Array.isArray(node) ? Number(key) : key]);
    };
    walk(base, []);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().map((value) => JSON.stringify(value)),
          fc.tuple(fc.constantFrom(...paths.slice(1)), fc.jsonValue()).map(([path, value]) => {
            const copy = structuredClone(base) as Record<string | number, unknown>;
            let node = copy;
            for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
            node[path[path.length - 1]!] = value;
            return JSON.stringify(copy);
          }),
        ),
        (text) => decodesOrFormatError(Buffer.from(text), JSON_TYPE),
      ),
      { numRuns: 10_000 },
    );
  });

  it('round trip: gauge values and attribute-named paths survive protobuf encoding', () => {
    const segment = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        fc.dictionary(segment, segment, { maxKeys: 3 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.bigInt({ min: 1n, max: 2n ** 62n }),
        (name, attributes, value, ns) => {
          const point = {
            timeUnixNano: String(ns),
            asDouble: value,
            attributes: Object.entries(attributes).map(([key, v]) => ({ key, value: { stringValue: v } })),
          };
          const body = protobufOf({
            resourceMetrics: [resource('h', [{ name: name.join('.'), gauge: { dataPoints: [point] } }])],
          });
          const [sample] = otlpToSamples(decodeOtlpMetrics(body, PROTOBUF), NOW).resources[0]!.samples;
          const keys = Object.keys(attributes).sort();
          const suffix = keys.length ? [keys.map((k) => `${k}_${attributes[k]}`).join('_')] : [];
          expect(at(sample!.metrics, [...name, ...suffix].join('.'))).toBe(value);
          expect(sample!.timestamp).toBe(Number((ns + 500_000n) / 1_000_000n) / 1000);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
