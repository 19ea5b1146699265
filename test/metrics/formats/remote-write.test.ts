/**
 * Prometheus remote_write 1.0: the decoder (snappy block + prometheus.WriteRequest from the vendored prompb
 * definitions, proto/README.md) and the mapping onto snapshots. Bodies are produced by the prometheus-remote-write
 * package (its own protobufjs serializer of Prometheus' remote.proto, and snappyjs) with node_exporter's series
 * names and labels.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import snappy from 'snappyjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FormatError, type IngestSample } from '../../../src/modules/metrics/formats/ingest-sample.js';
import { isInstanceOf, remoteWriteToSamples } from '../../../src/modules/metrics/formats/prometheus.mapping.js';
import { decodeRemoteWrite, type WriteRequest } from '../../../src/modules/metrics/formats/remote-write.decoder.js';
import { checkMetricsShape } from '../../../src/modules/metrics/metrics-shape.js';

interface Series {
  labels: Record<string, string>;
  samples: { value: number; timestamp: number }[];
}
const require = createRequire(import.meta.url);
const remoteWrite = require('prometheus-remote-write') as {
  serialize(request: {
    timeseries: { labels: { name: string; value: string }[]; samples: Series['samples'] }[];
  }): Promise<Uint8Array>;
  pushTimeseries(
    series: Series[],
    options: {
      url: string;
      fetch: (url: string, init: { headers: Record<string, string>; body: Uint8Array }) => Promise<unknown>;
    },
  ): Promise<{ status: number }>;
};

const LIMIT = 64 * 1024 * 1024;
const NOW = 1_700_000_100;
const T1 = 1_700_000_000_000;
const T2 = T1 + 15_000;
const GIB = 1024 ** 3;

type Snapshot = Record<string, unknown>;
const at = (data: Snapshot | undefined, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Snapshot | undefined)?.[key], data);

/** The body pushTimeseries sends, captured by the fetch it is given. */
async function pushed(series: Series[]): Promise<{ body: Buffer; headers: Record<string, string> }> {
  let captured: { body: Buffer; headers: Record<string, string> } | undefined;
  const answer = await remoteWrite.pushTimeseries(series, {
    url: 'http://agenthub.test/api/v1/prom/write',
    fetch: (_url, init) => {
      captured = { body: Buffer.from(init.body), headers: init.headers };
      return Promise.resolve({ status: 204, statusText: 'No Content', text: () => Promise.resolve('') });
    },
  });
  expect(answer.status).toBe(204);
  return captured!;
}

async function body(series: Series[]): Promise<Buffer> {
  const timeseries = series.map((s) => ({
    labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
    samples: s.samples.map(({ value, timestamp }) => ({ value, timestamp })),
  }));
  return Buffer.from(snappy.compress(await remoteWrite.serialize({ timeseries })));
}

const series = (
  name: string,
  instance: string | undefined,
  value: number,
  labels: Record<string, string> = {},
  timestamp = T1,
): Series => ({
  labels: { __name__: name, ...(instance === undefined ? {} : { instance }), job: 'node', ...labels },
  samples: [{ value, timestamp }],
});

/** What node_exporter exposes for one machine, as Prometheus forwards it (two scrapes of the CPU counters). */
function nodeExporter(instance: string): Series[] {
  const fs = (mountpoint: string, device: string) => ({ mountpoint, device, fstype: 'ext4' });
  const cpu = (id: string, mode: string, first: number, second: number): Series => ({
    labels: { __name__: 'node_cpu_seconds_total', instance, job: 'node', cpu: id, mode },
    samples: [
      { value: first, timestamp: T1 },
      { value: second, timestamp: T2 },
    ],
  });
  return [
    series('node_memory_MemTotal_bytes', instance, 8 * GIB),
    series('node_memory_MemAvailable_bytes', instance, 2 * GIB),
    series('node_filesystem_size_bytes', instance, 100 * GIB, fs('/', '/dev/sda1')),
    series('node_filesystem_avail_bytes', instance, 60 * GIB, fs('/', '/dev/sda1')),
    series('node_filesystem_avail_bytes', instance, 1 * GIB, fs('/boot', '/dev/sda2')),
    series('node_network_receive_bytes_total', instance, 1000, { device: 'eth0' }),
    series('node_network_receive_bytes_total', instance, 0, { device: 'wlan0' }),
    series('node_network_receive_bytes_total', instance, 999_999, { device: 'lo' }),
    series('node_network_transmit_bytes_total', instance, 400, { device: 'eth0' }),
    series('node_load1', instance, 0.25),
    series('node_disk_read_bytes_total', instance, 4096, { device: 'sda' }),
    series('http_requests_total', instance, 17, { method: 'GET', code: '200' }),
    cpu('0', 'idle', 100, 108),
    cpu('0', 'user', 10, 12),
    cpu('0', 'system', 5, 5),
    cpu('1', 'idle', 200, 207),
    cpu('1', 'user', 20, 23),
  ];
}

function byTimestamp(samples: IngestSample[] | undefined): Map<number, Snapshot> {
  return new Map((samples ?? []).map((s) => [s.timestamp, s.metrics]));
}

describe('decodeRemoteWrite and remoteWriteToSamples on what a remote_write client sends', () => {
  it('decodes the package’s push and maps node_exporter onto instance paths and the canonical paths', async () => {
    const { body: sent, headers } = await pushed(nodeExporter('srv-prom-1:9100'));
    expect(headers['Content-Type']).toBe('application/x-protobuf');
    const request = decodeRemoteWrite(sent, LIMIT);
    expect(request.timeseries).toHaveLength(17);
    expect(request.timeseries[6]).toEqual({
      labels: [
        { name: '__name__', value: 'node_network_receive_bytes_total' },
        { name: 'instance', value: 'srv-prom-1:9100' },
        { name: 'job', value: 'node' },
        { name: 'device', value: 'wlan0' },
      ],
      samples: [{ value: 0, timestamp: T1 }],
      histogramCount: 0,
    });

    const { instances } = remoteWriteToSamples(request, NOW);
    expect([...instances.keys()]).toEqual(['srv-prom-1:9100']);
    const snapshots = byTimestamp(instances.get('srv-prom-1:9100'));
    expect([...snapshots.keys()]).toEqual([T1 / 1000, T2 / 1000]);
    const first = snapshots.get(T1 / 1000);
    for (const snapshot of snapshots.values()) expect(checkMetricsShape(snapshot)).toBeUndefined();
    expect(at(first, 'node_memory_MemTotal_bytes')).toBe(8 * GIB);
    expect(at(first, 'memory.usage')).toBeCloseTo(75, 9);
    expect(at(first, 'node_filesystem_avail_bytes./boot')).toBe(GIB);
    expect(at(first, 'disk.usage')).toBeCloseTo(40, 9);
    expect(at(first, 'node_network_receive_bytes_total.wlan0')).toBe(0);
    expect(at(first, 'network.rx_bytes')).toBe(1000);
    expect(at(first, 'network.tx_bytes')).toBe(400);
    expect(at(first, 'node_load1')).toBe(0.25);
    expect(at(first, 'node_disk_read_bytes_total.sda')).toBe(4096);
    expect(at(first, 'http_requests_total.code_200_method_GET')).toBe(17);
    expect(at(first, 'node_cpu_seconds_total.0.idle')).toBe(100);
    expect(at(first, 'cpu.usage')).toBeUndefined(); // no earlier reading in this request
    const second = snapshots.get(T2 / 1000);
    expect(second).toEqual({
      node_cpu_seconds_total: { '0': { idle: 108, user: 12, system: 5 }, '1': { idle: 207, user: 23 } },
      cpu: { usage: 25 }, // 1 - 15 s idle / 20 s over both CPUs
    });
  });

  it('keys snapshots by the instance label as sent, undefined without one', async () => {
    const request = decodeRemoteWrite(
      await body([
        series('up', 'srv-a:9100', 1),
        series('up', 'srv-b', 1),
        series('up', undefined, 1),
        series('up', 'srv-a:9100', 0, {}, T2),
      ]),
      LIMIT,
    );
    const { instances } = remoteWriteToSamples(request, NOW);
    expect([...instances.keys()]).toEqual(['srv-a:9100', 'srv-b', undefined]);
    expect(instances.get('srv-a:9100')).toEqual([
      { timestamp: T1 / 1000, metrics: { up: 1 } },
      { timestamp: T2 / 1000, metrics: { up: 0 } },
    ]);
  });

  it('skips staleness markers, infinities, nameless series and unsafe label values; counters do not reset cpu.usage', async () => {
    const stale = new DataView(new ArrayBuffer(8));
    stale.setBigUint64(0, 0x7ff0000000000002n); // Prometheus' staleness marker
    const request = decodeRemoteWrite(
      await body([
        series('node_load1', 'srv', stale.getFloat64(0)),
        series('node_load5', 'srv', Number.POSITIVE_INFINITY),
        { labels: { instance: 'srv', job: 'node' }, samples: [{ value: 1, timestamp: T1 }] },
        series('node_network_receive_bytes_total', 'srv', 5, { device: 'bad\u0000' }),
        series('node_load15', 'srv', 0.5, {}, 0),
        series('node_cpu_seconds_total', 'srv', 50, { cpu: '0', mode: 'idle' }),
        series('node_cpu_seconds_total', 'srv', 10, { cpu: '0', mode: 'idle' }, T2),
      ]),
      LIMIT,
    );
    expect(remoteWriteToSamples(request, NOW).instances.get('srv')).toEqual([
      { timestamp: T1 / 1000, metrics: { node_cpu_seconds_total: { '0': { idle: 50 } } } },
      { timestamp: T2 / 1000, metrics: { node_cpu_seconds_total: { '0': { idle: 10 } } } },
      { timestamp: NOW, metrics: { node_load15: 0.5 } },
    ]);
  });

  it('bounds generated label segments and replaces what alert paths cannot name', async () => {
    const request = decodeRemoteWrite(
      await body([series('app:requests:rate5m', 'srv', 3, { path: '/api/v1/'.repeat(20), le: '0.5' })]),
      LIMIT,
    );
    const metrics = remoteWriteToSamples(request, NOW).instances.get('srv')![0]!.metrics;
    expect(checkMetricsShape(metrics)).toBeUndefined();
    const [segment] = Object.keys(metrics.app_requests_rate5m as Snapshot);
    expect(segment).toMatch(/^le_0_5_path__api_v1_[A-Za-z0-9_]+_[0-9a-f]{8}$/);
    expect(segment).toHaveLength(64);
  });

  it('tells whether an instance label names a server_id, alone or as host:port', () => {
    expect(isInstanceOf('srv-web-02', 'srv-web-02')).toBe(true);
    expect(isInstanceOf('srv-web-02:9100', 'srv-web-02')).toBe(true);
    expect(isInstanceOf('srv-web-02:', 'srv-web-02')).toBe(false);
    expect(isInstanceOf('srv-web-02:http', 'srv-web-02')).toBe(false);
    expect(isInstanceOf('srv-web-020', 'srv-web-02')).toBe(false);
    expect(isInstanceOf('srv-web-02:9100:1', 'srv-web-02')).toBe(false);
    expect(isInstanceOf('other:9100', 'srv-web-02')).toBe(false);
  });
});

describe('bad input', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function failure(input: Buffer, limit = LIMIT): FormatError {
    try {
      decodeRemoteWrite(input, limit);
    } catch (error) {
      expect(error).toBeInstanceOf(FormatError);
      return error as FormatError;
    }
    throw new Error('decoded without an error');
  }

  it('refuses a snappy block claiming 1 GiB with 413, before decompressing anything', () => {
    const uncompress = vi.spyOn(snappy, 'uncompress');
    const bomb = Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04]), Buffer.alloc(64, 0)]);
    const error = failure(bomb);
    expect(error.status).toBe(413);
    expect(error.message).toContain('1073741824');
    expect(failure(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])).status).toBe(413); // 2^32 - 1
    const small = Buffer.concat([Buffer.from([0x0b, 0x28]), Buffer.from('hello world')]); // 11 bytes, valid
    expect(failure(small, 10).status).toBe(413);
    expect(uncompress).not.toHaveBeenCalled();
    expect(decodeRemoteWrite(Buffer.from([0x00]), 10)).toEqual({ timeseries: [] }); // an empty WriteRequest
  });

  it('refuses empty bodies, bad headers, malformed blocks and what is not a WriteRequest with 400', async () => {
    const valid = await body(nodeExporter('srv'));
    const cases: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from('not snappy at all'),
      Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), // a six-byte length
      Buffer.from([0x80]), // a header cut short
      valid.subarray(0, Math.floor(valid.length / 2)),
      Buffer.from([0x05, 0x0c, 0x61, 0x62, 0x63, 0x64]), // literal of 4 bytes, 5 declared
      Buffer.from([0x04, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x00]), // more output than declared
      Buffer.from([0x08, 0x00, 0x61, 0x01, 0x05]), // a copy reaching before the start
      Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]), // the framed format's stream id
      Buffer.from(snappy.compress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]))), // snappy, not protobuf
      Buffer.from(snappy.compress(Buffer.from([0x0a, 0x50, 0x0a]))), // a truncated WriteRequest
    ];
    for (const input of cases) expect(failure(input).status, input.toString('hex')).toBe(400);
  });
});

describe('fuzzing: only FormatError, and what decodes maps within the snapshot limits', () => {
  const decodesOrFormatError = (input: Buffer, limit = LIMIT) => {
    let request: WriteRequest;
    try {
      request = decodeRemoteWrite(input, limit);
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      return;
    }
    for (const samples of remoteWriteToSamples(request, NOW).instances.values())
      for (const sample of samples) {
        expect(Number.isFinite(sample.timestamp)).toBe(true);
        expect(checkMetricsShape(sample.metrics)).toBeUndefined();
      }
  };

  it('random bytes, and random bytes in a valid snappy block', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, compress) =>
        decodesOrFormatError(Buffer.from(compress ? snappy.compress(bytes) : bytes)),
      ),
      { numRuns: 10_000 },
    );
  });

  it('truncations and byte flips of valid bodies, compressed or not, under small limits too', async () => {
    const valid = await body(nodeExporter('srv-fuzz:9100'));
    const raw = Buffer.from(snappy.uncompress(valid));
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.constantFrom(LIMIT, 100),
        (compressedCopy, cut, flips, limit) => {
          const source = compressedCopy ? valid : raw;
          const copy = Buffer.from(source.subarray(0, cut % (source.length + 1)));
          for (const [at, byte] of flips) if (copy.length > 0) copy[at % copy.length] = byte;
          decodesOrFormatError(compressedCopy ? copy : Buffer.from(snappy.compress(copy)), limit);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('round trip: series labels and samples survive the client’s encoding', async () => {
    const text = fc.string({ maxLength: 12 });
    const seriesCase = fc.record({
      labels: fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/), text, { minKeys: 1, maxKeys: 4 }),
      samples: fc.array(
        fc.record({
          value: fc.double({ noNaN: true }),
          timestamp: fc.integer({ min: 0, max: 2 ** 52 }),
        }),
        { maxLength: 3 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(seriesCase, { maxLength: 5 }), async (cases) => {
        const request = decodeRemoteWrite(await body(cases), LIMIT);
        expect(request.timeseries).toEqual(
          cases.map((c) => ({
            labels: Object.entries(c.labels).map(([name, value]) => ({ name, value })),
            samples: c.samples.map((s) => ({ value: s.value, timestamp: s.timestamp })),
            histogramCount: 0,
          })),
        );
      }),
      { numRuns: 2_000 },
    );
  });
});
